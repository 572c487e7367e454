package roster_test

import (
	"testing"

	"github.com/muctest/muctest/mod/roster"
	"github.com/muctest/muctest/moduletest"
)

const stanzas = "urn:ietf:params:xml:ns:xmpp-stanzas"

func errorIQ(id, cond string) string {
	return `<iq type="error" id="` + id + `"><error><` + cond + ` xmlns="` + stanzas + `"/></error></iq>`
}

func TestRosterSetGetPush(t *testing.T) {
	s := moduletest.New(t, roster.Module{})
	r := s.Login("romeo@localhost/r")
	other := s.Login("romeo@localhost/other")

	r.Send(`<iq type="get" id="g1"><query xmlns="jabber:iq:roster"/></iq>`)
	r.Expect(`<iq type="result" id="g1" to="romeo@localhost/r"><query xmlns="jabber:iq:roster" ver="1"/></iq>`)

	// Only sessions that fetched the roster get pushes (RFC 6121 2.1.6).
	r.Send(`<iq type="set" id="s1"><query xmlns="jabber:iq:roster"><item jid="nurse@localhost" name="Nurse"><group>Servants</group></item></query></iq>`)
	r.Expect(`<iq type="result" id="s1"/>`,
		`<iq type="set"><query xmlns="jabber:iq:roster" ver="1"><item jid="nurse@localhost" subscription="none" name="Nurse"><group>Servants</group></item></query></iq>`)
	other.ExpectNothing()

	r.Send(`<iq type="get" id="g2"><query xmlns="jabber:iq:roster" ver="0"/></iq>`)
	r.Expect(`<iq type="result" id="g2"><query xmlns="jabber:iq:roster" ver="1"><item jid="nurse@localhost" subscription="none" name="Nurse"><group>Servants</group></item></query></iq>`)
	// The client's version is current: an empty result (RFC 6121 2.6.3).
	r.Send(`<iq type="get" id="g3"><query xmlns="jabber:iq:roster" ver="1"/></iq>`)
	got := r.Received()
	if len(got) != 1 || got[0].Attrib("type") != "result" || len(got[0].Elements()) != 0 {
		t.Fatalf("got %v, want one empty result for a current ver", got)
	}

	tests := []struct{ name, send, want string }{
		{"two items", `<iq type="set" id="e1"><query xmlns="jabber:iq:roster"><item jid="a@localhost"/><item jid="b@localhost"/></query></iq>`, errorIQ("e1", "bad-request")},
		{"bad jid", `<iq type="set" id="e3"><query xmlns="jabber:iq:roster"><item jid="@@"/></query></iq>`, errorIQ("e3", "jid-malformed")},
		{"remove unknown", `<iq type="set" id="e4"><query xmlns="jabber:iq:roster"><item jid="ghost@localhost" subscription="remove"/></query></iq>`, errorIQ("e4", "item-not-found")},
		{"someone else's", `<iq type="get" id="e5" to="juliet@localhost"><query xmlns="jabber:iq:roster"/></iq>`, errorIQ("e5", "service-unavailable")},
		{"duplicate group", `<iq type="set" id="e6"><query xmlns="jabber:iq:roster"><item jid="a@localhost"><group>x</group><group>x</group></item></query></iq>`, errorIQ("e6", "bad-request")},
		{"empty group", `<iq type="set" id="e7"><query xmlns="jabber:iq:roster"><item jid="a@localhost"><group/></item></query></iq>`, errorIQ("e7", "not-acceptable")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := r.In(t)
			c.Send(tc.send)
			c.Expect(tc.want)
		})
	}

	// A subscription state in a roster set is ignored, not refused (RFC
	// 6121 2.1.2.5): the item is added with subscription none.
	r.Send(`<iq type="set" id="s2"><query xmlns="jabber:iq:roster"><item jid="a@localhost" subscription="both"/></query></iq>`)
	r.Expect(`<iq type="result" id="s2"/>`,
		`<iq type="set"><query xmlns="jabber:iq:roster" ver="2"><item jid="a@localhost" subscription="none"/></query></iq>`)

	r.Send(`<iq type="set" id="rm"><query xmlns="jabber:iq:roster"><item jid="nurse@localhost" subscription="remove"/></query></iq>`)
	r.Expect(`<iq type="result" id="rm"/>`,
		`<iq type="set"><query xmlns="jabber:iq:roster" ver="3"><item jid="nurse@localhost" subscription="remove"/></query></iq>`)
}

// TestSubscriptionHandshake follows RFC 6121 section 3 both ways and the
// removal of Prosody's issue 1121: the contact gets unavailable from the
// remover's full JID.
func TestSubscriptionHandshake(t *testing.T) {
	s := moduletest.New(t, roster.Module{})
	r := s.Login("romeo@localhost/r")
	j := s.Login("juliet@localhost/j")
	r.Send("<presence/>")
	r.Expect(`<presence from="romeo@localhost/r"/>`)
	j.Send("<presence/>")
	j.Expect(`<presence from="juliet@localhost/j"/>`)
	j.Send(`<iq type="get" id="g"><query xmlns="jabber:iq:roster"/></iq>`)
	j.Expect(`<iq type="result" id="g"><query xmlns="jabber:iq:roster" ver="1"/></iq>`) // Prosody's "1" for a roster never saved

	r.Send(`<presence to="juliet@localhost" type="subscribe"/>`)
	r.Expect(`<presence from="juliet@localhost" type="unavailable"/>`) // Prosody's receipt
	j.Expect(`<presence from="romeo@localhost" type="subscribe"/>`)

	j.Send(`<presence to="romeo@localhost" type="subscribed"/>`)
	j.Expect(`<iq type="set"><query xmlns="jabber:iq:roster" ver="2"><item jid="romeo@localhost" subscription="from"/></query></iq>`)
	r.Expect(`<presence from="juliet@localhost/j" to="romeo@localhost"/>`) // juliet's presence

	j.Send(`<presence to="romeo@localhost" type="subscribe"/>`)
	j.Expect(`<iq type="set"><query xmlns="jabber:iq:roster" ver="3"><item jid="romeo@localhost" subscription="from" ask="subscribe"/></query></iq>`,
		`<presence from="romeo@localhost" type="unavailable"/>`)
	r.Expect(`<presence from="juliet@localhost" type="subscribe"/>`)

	r.Send(`<presence to="juliet@localhost" type="subscribed"/>`)
	j.Expect(`<presence from="romeo@localhost" type="subscribed"/>`,
		`<iq type="set"><query xmlns="jabber:iq:roster" ver="4"><item jid="romeo@localhost" subscription="both"/></query></iq>`,
		`<presence from="romeo@localhost/r" to="juliet@localhost"/>`)
	r.Expect(`<presence from="juliet@localhost/j" to="romeo@localhost"/>`) // the probe's answer

	// Now both see each other's presence changes.
	r.Send("<presence><show>away</show></presence>")
	r.Expect(`<presence from="romeo@localhost/r"><show>away</show></presence>`)
	j.Expect(`<presence from="romeo@localhost/r" to="juliet@localhost"><show>away</show></presence>`)

	j.Send(`<iq type="set" id="rm"><query xmlns="jabber:iq:roster"><item jid="romeo@localhost" subscription="remove"/></query></iq>`)
	j.Expect(`<iq type="result" id="rm"/>`,
		`<iq type="set"><query xmlns="jabber:iq:roster" ver="5"><item jid="romeo@localhost" subscription="remove"/></query></iq>`)
	// Romeo never fetched his roster: of the unsubscribed, unavailable
	// and unsubscribe, only the presence reaches him (Prosody's
	// send_to_interested_resources).
	r.Expect(`<presence from="juliet@localhost/j" to="romeo@localhost" type="unavailable"/>`)
	r.Send(`<iq type="get" id="g2"><query xmlns="jabber:iq:roster"/></iq>`)
	r.Expect(`<iq type="result" id="g2"><query xmlns="jabber:iq:roster" ver="{scansion:any}"><item jid="juliet@localhost" subscription="none"/></query></iq>`)

	// Nothing leaks any more.
	j.Send("<presence><show>dnd</show></presence>")
	j.Expect(`<presence from="juliet@localhost/j"><show>dnd</show></presence>`)
	r.ExpectNothing()
}

func TestPreApprovalAndPendingRequests(t *testing.T) {
	s := moduletest.New(t, roster.Module{})
	a := s.Login("alice@localhost/a")
	a.Send("<presence/>")
	a.Expect(`<presence from="alice@localhost/a"/>`)
	// Pre-approve bob, who has never logged in (RFC 6121 3.4).
	a.Send(`<presence to="bob@localhost" type="subscribed"/>`)
	a.ExpectNothing()

	// Carol asks bob while he is offline; the request is kept with its
	// payload and shown at every initial presence until answered.
	c := s.Login("carol@localhost/c")
	c.Send(`<presence to="bob@localhost" type="subscribe"><preauth xmlns="urn:xmpp:pars:0" token="t1"/></presence>`)
	c.ExpectNothing() // the receipt goes to carol's bare JID: she is not available
	c.Close()

	for range 2 {
		b := s.Login("bob@localhost/b")
		b.Send(`<iq type="get" id="r"><query xmlns="jabber:iq:roster"/></iq>`)
		b.Expect(`<iq type="result" id="r"><query xmlns="jabber:iq:roster" ver="1"/></iq>`)
		b.Send("<presence/>")
		b.Expect(`<presence from="bob@localhost/b"/>`,
			`<presence from="carol@localhost" type="subscribe"><preauth xmlns="urn:xmpp:pars:0" token="t1"/></presence>`)
		b.Close()
	}

	b := s.Login("bob@localhost/b")
	b.Send(`<iq type="get" id="r"><query xmlns="jabber:iq:roster"/></iq>`)
	b.Expect(`<iq type="result" id="r"><query xmlns="jabber:iq:roster" ver="1"/></iq>`)
	b.Send(`<presence to="alice@localhost" type="subscribe"/>`)
	b.Expect(`<iq type="set"><query xmlns="jabber:iq:roster" ver="2"><item jid="alice@localhost" subscription="none" ask="subscribe"/></query></iq>`,
		`<presence from="alice@localhost" type="subscribed"/>`,
		`<iq type="set"><query xmlns="jabber:iq:roster" ver="3"><item jid="alice@localhost" subscription="to"/></query></iq>`)
	b.Close()

	a.Send(`<iq type="get" id="ra"><query xmlns="jabber:iq:roster"/></iq>`)
	a.Expect(`<iq type="result" id="ra"><query xmlns="jabber:iq:roster" ver="{scansion:any}"><item jid="bob@localhost" subscription="from"/></query></iq>`)
}

func TestRosterVerFeature(t *testing.T) {
	s := moduletest.New(t, roster.Module{})
	f := s.Router.StreamFeatures()
	if len(f) != 1 || f[0].Offer(nil).String() != `<ver xmlns="urn:xmpp:features:rosterver"/>` {
		t.Fatalf("stream features %v, want rosterver", f)
	}
}
