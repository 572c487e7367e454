package server_test

import (
	"testing"

	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
)

func TestRosterSetGetPush(t *testing.T) {
	srv := servertest.New(t, server.Config{})
	r := dialRaw(t, srv).login("romeo", "")
	other := dialRaw(t, srv).login("romeo", "other")

	r.Send(`<iq type="get" id="g1"><query xmlns="jabber:iq:roster"/></iq>`)
	r.expect(`id="g1"`, `type="result"`, `ver="1"`) // Prosody's version of a roster never saved

	// Only sessions that fetched the roster get pushes (RFC 6121 2.1.6).
	r.Send(`<iq type="set" id="s1"><query xmlns="jabber:iq:roster"><item jid="nurse@localhost" name="Nurse"><group>Servants</group></item></query></iq>`)
	r.expect(`id="s1"`, `type="result"`)
	r.expect(`type="set"`, `ver="1"`, `jid="nurse@localhost"`, `subscription="none"`, `name="Nurse"`, "<group>Servants</group>")
	other.expectNothing()

	r.Send(`<iq type="get" id="g2"><query xmlns="jabber:iq:roster" ver="0"/></iq>`)
	r.expect(`id="g2"`, `ver="1"`, `jid="nurse@localhost"`)
	// The client's version is current: an empty result.
	r.Send(`<iq type="get" id="g3"><query xmlns="jabber:iq:roster" ver="1"/></iq>`)
	if el := r.expect(`id="g3"`, `type="result"`); len(el.Elements()) != 0 {
		t.Fatalf("got %s, want an empty result for a current ver", el)
	}

	tests := []struct{ send, want string }{
		{`<iq type="set" id="e1"><query xmlns="jabber:iq:roster"><item jid="a@localhost"/><item jid="b@localhost"/></query></iq>`, "<bad-request"},
		{`<iq type="set" id="e3"><query xmlns="jabber:iq:roster"><item jid="@@"/></query></iq>`, "<jid-malformed"},
		{`<iq type="set" id="e4"><query xmlns="jabber:iq:roster"><item jid="ghost@localhost" subscription="remove"/></query></iq>`, "<item-not-found"},
		{`<iq type="get" id="e5" to="juliet@localhost"><query xmlns="jabber:iq:roster"/></iq>`, "<service-unavailable"},
	}
	for _, tc := range tests {
		r.Send(tc.send)
		r.expect(tc.want)
	}

	// A subscription state in a roster set is ignored, not refused (RFC
	// 6121 2.1.2.5): the item is added with subscription none.
	r.Send(`<iq type="set" id="s2"><query xmlns="jabber:iq:roster"><item jid="a@localhost" subscription="both"/></query></iq>`)
	r.expect(`id="s2"`, `type="result"`)
	r.expect(`type="set"`, `ver="2"`, `jid="a@localhost"`, `subscription="none"`)

	r.Send(`<iq type="set" id="rm"><query xmlns="jabber:iq:roster"><item jid="nurse@localhost" subscription="remove"/></query></iq>`)
	r.expect(`id="rm"`, `type="result"`)
	r.expect(`type="set"`, `ver="3"`, `subscription="remove"`)
}

// TestSubscriptionHandshake follows RFC 6121 section 3 both ways and the
// removal of issue 1121: the contact gets unavailable from the remover's
// full JID.
func TestSubscriptionHandshake(t *testing.T) {
	srv := servertest.New(t, server.Config{})
	r := dialRaw(t, srv).login("romeo", "")
	j := dialRaw(t, srv).login("juliet", "")
	r.Send("<presence/>")
	r.expect(`from="` + r.JID + `"`)
	j.Send("<presence/>")
	j.expect(`from="` + j.JID + `"`)
	j.Send(`<iq type="get" id="g"><query xmlns="jabber:iq:roster"/></iq>`)
	j.expect(`id="g"`)

	r.Send(`<presence to="juliet@localhost" type="subscribe"/>`)
	r.expect(`from="juliet@localhost"`, `type="unavailable"`) // Prosody's receipt
	j.expect(`from="romeo@localhost"`, `type="subscribe"`)

	j.Send(`<presence to="romeo@localhost" type="subscribed"/>`)
	j.expect(`type="set"`, `jid="romeo@localhost"`, `subscription="from"`) // push
	r.expect(`from="`+j.JID+`"`, `to="romeo@localhost"`, "<photo/>")       // juliet's presence

	j.Send(`<presence to="romeo@localhost" type="subscribe"/>`)
	j.expect(`type="set"`, `subscription="from"`, `ask="subscribe"`)
	j.expect(`from="romeo@localhost"`, `type="unavailable"`)
	r.expect(`from="juliet@localhost"`, `type="subscribe"`)

	r.Send(`<presence to="juliet@localhost" type="subscribed"/>`)
	j.expect(`from="romeo@localhost"`, `type="subscribed"`)
	j.expect(`type="set"`, `subscription="both"`)
	j.expect(`from="`+r.JID+`"`, `to="juliet@localhost"`)
	r.expect(`from="`+j.JID+`"`, `to="romeo@localhost"`) // probe answer

	// Now both see each other's presence changes.
	r.Send("<presence><show>away</show></presence>")
	r.expect(`from="`+r.JID+`"`, "<show>away</show>")
	j.expect(`from="`+r.JID+`"`, `to="juliet@localhost"`, "<show>away</show>")

	j.Send(`<iq type="set" id="rm"><query xmlns="jabber:iq:roster"><item jid="romeo@localhost" subscription="remove"/></query></iq>`)
	j.expect(`id="rm"`, `type="result"`)
	j.expect(`type="set"`, `subscription="remove"`)
	r.expect(`from="`+j.JID+`"`, `to="romeo@localhost"`, `type="unavailable"`)
	r.Send(`<iq type="get" id="g2"><query xmlns="jabber:iq:roster"/></iq>`)
	r.expect(`id="g2"`, `jid="juliet@localhost"`, `subscription="none"`)

	// Nothing leaks any more.
	j.Send("<presence><show>dnd</show></presence>")
	j.expect(`from="` + j.JID + `"`)
	r.expectNothing()
}

func TestPreApprovalAndPendingRequests(t *testing.T) {
	srv := servertest.New(t, server.Config{})
	a := dialRaw(t, srv).login("alice", "")
	a.Send("<presence/>")
	a.expect(`from="` + a.JID + `"`)
	// Pre-approve bob, who has never logged in.
	a.Send(`<presence to="bob@localhost" type="subscribed"/>`)

	// Carol asks bob while he is offline; the request is kept with its
	// payload and shown at every initial presence until answered.
	c := dialRaw(t, srv).login("carol", "")
	c.Send(`<presence to="bob@localhost" type="subscribe"><preauth xmlns="urn:xmpp:pars:0" token="t1"/></presence>`)
	c.Close()

	for range 2 {
		b := dialRaw(t, srv).login("bob", "")
		b.Send(`<iq type="get" id="r"><query xmlns="jabber:iq:roster"/></iq>`)
		b.expect(`id="r"`)
		b.Send("<presence/>")
		b.expect(`from="` + b.JID + `"`)
		b.expect(`from="carol@localhost"`, `type="subscribe"`, `token="t1"`)
		b.Close()
	}

	b := dialRaw(t, srv).login("bob", "")
	b.Send(`<iq type="get" id="r"><query xmlns="jabber:iq:roster"/></iq>`)
	b.expect(`id="r"`)
	b.Send(`<presence to="alice@localhost" type="subscribe"/>`)
	b.expect(`type="set"`, `ver="2"`, `ask="subscribe"`, `subscription="none"`) // carol's stored request was version 1
	b.expect(`from="alice@localhost"`, `type="subscribed"`)
	b.expect(`type="set"`, `subscription="to"`)
	b.Close()

	a.Send(`<iq type="get" id="ra"><query xmlns="jabber:iq:roster"/></iq>`)
	a.expect(`id="ra"`, `jid="bob@localhost"`, `subscription="from"`)
}

func TestVCardAndPrivateStorage(t *testing.T) {
	srv := servertest.New(t, server.Config{})
	a := dialRaw(t, srv).login("alice", "")
	b := dialRaw(t, srv).login("bob", "")
	tests := []struct {
		c          *rawClient
		send, want string
	}{
		{b, `<iq type="get" id="v0" to="alice@localhost"><vCard xmlns="vcard-temp"/></iq>`, `<vCard xmlns="vcard-temp"/>`},
		{a, `<iq type="set" id="v1"><vCard xmlns="vcard-temp"><FN>Alice</FN></vCard></iq>`, `type="result"`},
		{b, `<iq type="get" id="v2" to="alice@localhost"><vCard xmlns="vcard-temp"/></iq>`, "<FN>Alice</FN>"},
		{b, `<iq type="set" id="v3" to="alice@localhost"><vCard xmlns="vcard-temp"><FN>Mallory</FN></vCard></iq>`, "<forbidden"},
		{a, `<iq type="get" id="p0"><query xmlns="jabber:iq:private"><storage xmlns="storage:bookmarks"/></query></iq>`, `<storage xmlns="storage:bookmarks"/>`},
		{a, `<iq type="set" id="p1"><query xmlns="jabber:iq:private"><storage xmlns="storage:bookmarks"><conference jid="r@conference.localhost"/></storage></query></iq>`, `type="result"`},
		{a, `<iq type="get" id="p2"><query xmlns="jabber:iq:private"><storage xmlns="storage:bookmarks"/></query></iq>`, `jid="r@conference.localhost"`},
		{b, `<iq type="get" id="p3" to="alice@localhost"><query xmlns="jabber:iq:private"><storage xmlns="storage:bookmarks"/></query></iq>`, "<forbidden"},
		{a, `<iq type="set" id="p4"><query xmlns="jabber:iq:private"><x xmlns="jabber:client"/></query></iq>`, "<not-acceptable"},
	}
	for _, tc := range tests {
		tc.c.Send(tc.send)
		tc.c.expect(tc.want)
	}
}

func TestLastActivity(t *testing.T) {
	srv := servertest.New(t, server.Config{})
	a := dialRaw(t, srv).login("alice", "")
	b := dialRaw(t, srv).login("bob", "")
	tests := []struct {
		c          *rawClient
		send, want string
	}{
		{a, `<iq type="get" id="l1" to="localhost"><query xmlns="jabber:iq:last"/></iq>`, `seconds="`},
		{a, `<iq type="get" id="l2"><query xmlns="jabber:iq:last"/></iq>`, `seconds="0"`},
		{b, `<iq type="get" id="l3" to="alice@localhost"><query xmlns="jabber:iq:last"/></iq>`, "<forbidden"},
	}
	for _, tc := range tests {
		tc.c.Send(tc.send)
		tc.c.expect(tc.want)
	}
	a.Send(`<presence/>`)
	a.expect(`from="` + a.JID + `"`)
	a.Send(`<presence type="unavailable"><status>gone fishing</status></presence>`)
	a.expect(`type="unavailable"`)
	a.Send(`<iq type="get" id="l4"><query xmlns="jabber:iq:last"/></iq>`)
	a.expect(`id="l4"`, "gone fishing")
}
