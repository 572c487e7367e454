package server_test

import (
	"testing"

	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
)

func TestInitialPresenceReflected(t *testing.T) {
	srv := servertest.New(t, server.Config{})
	r := dialRaw(t, srv).login("romeo", "")
	r.Send("<presence/>")
	r.expect(`<presence from="` + r.JID + `"><x xmlns="vcard-temp:x:update"><photo/></x></presence>`)
	r.Close()
	idle(t, srv)
}

func TestMessageRouting(t *testing.T) {
	srv := servertest.New(t, server.Config{})
	r := dialRaw(t, srv).login("romeo", "")
	j := dialRaw(t, srv).login("juliet", "")
	p := dialRaw(t, srv).login("juliet", "mobile")

	r.Send("<presence/>")
	r.expect(`<presence from="` + r.JID + `"/>`)

	// Full JID: delivered even without presence, with the "from" the
	// server stamped.
	r.Send(`<message to="` + j.JID + `" type="chat" from="evil@localhost"><body>Hello</body></message>`)
	j.expect(`<message to="` + j.JID + `" type="chat" from="` + r.JID + `"><body>Hello</body></message>`)

	// Bare JID with nobody available: stored offline, delivered with delay
	// on initial presence after the self-presence.
	r.Send(`<message to="juliet@localhost" type="chat"><body>are you there?</body></message>`)
	r.expectNothing()
	p.Send("<presence/>")
	p.expect(`<presence from="` + p.JID + `"/>`)
	p.expect(`<message from="` + r.JID + `" type="chat"><body>are you there?</body><delay xmlns="urn:xmpp:delay" from="localhost" stamp="{scansion:any}"/></message>`)

	// Negative priority resources do not get bare-JID messages.
	j.Send("<presence><priority>-1</priority></presence>")
	j.expect(`<presence from="` + j.JID + `"><priority>-1</priority></presence>`)
	j.expect(`<presence from="` + p.JID + `" to="` + j.JID + `"/>`) // the phone's presence
	p.expect(`<presence from="` + j.JID + `" to="` + p.JID + `"><priority>-1</priority></presence>`)
	r.Send(`<message to="juliet@localhost" type="chat"><body>How are you?</body></message>`)
	p.expect(`<message from="` + r.JID + `" to="juliet@localhost"><body>How are you?</body></message>`)
	j.expectNothing()

	j.Send("<presence/>")
	j.expect(`<presence from="` + j.JID + `"/>`)
	p.expect(`<presence from="` + j.JID + `" to="` + p.JID + `"/>`)
	r.Send(`<message to="juliet@localhost" type="chat"><body>There!</body></message>`)
	j.expect(`<message from="` + r.JID + `" to="juliet@localhost"><body>There!</body></message>`)
	p.expect(`<message from="` + r.JID + `" to="juliet@localhost"><body>There!</body></message>`)

	r.Close()
	j.Close()
	p.expect(`<presence type="unavailable" from="` + j.JID + `" to="` + p.JID + `"/>`)
	p.Close()
}

func TestUnknownIQ(t *testing.T) {
	srv := servertest.New(t, server.Config{})
	r := dialRaw(t, srv).login("romeo", "")
	const stanzas = "urn:ietf:params:xml:ns:xmpp-stanzas"
	tests := []struct{ send, want string }{
		{`<iq type="get" id="1" to="localhost"><ping xmlns="urn:xmpp:ping"/></iq>`, `<iq type="result" id="1" from="localhost"/>`},
		{`<iq type="get" id="2" to="localhost"><foo xmlns="urn:example"/></iq>`,
			`<iq type="error" id="2" from="localhost"><error type="cancel"><service-unavailable xmlns="` + stanzas + `"/></error></iq>`},
		{`<iq type="get" id="3" to="nobody@localhost/x"><ping xmlns="urn:xmpp:ping"/></iq>`,
			`<iq type="error" id="3" from="nobody@localhost/x"><error type="cancel"><service-unavailable xmlns="` + stanzas + `"/></error></iq>`},
		{`<iq type="get" id="4" to="localhost"><query xmlns="http://jabber.org/protocol/disco#items"/></iq>`,
			`<iq type="result" id="4" from="localhost"><query xmlns="http://jabber.org/protocol/disco#items"><item jid="upload.localhost"/><item jid="conference.localhost"/><item jid="pubsub.localhost"/></query></iq>`},
		{`<iq type="get" id="5"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`,
			`<iq type="result" id="5"><query xmlns="http://jabber.org/protocol/disco#info" scansion:strict="false"><identity category="account" type="registered"/></query></iq>`},
		{`<message type="chat" id="6" to="x@elsewhere.example"><body>hi</body></message>`,
			`<message type="error" id="6" from="x@elsewhere.example"><error type="cancel"><not-allowed xmlns="` + stanzas + `"/></error></message>`},
	}
	for _, tc := range tests {
		r.Send(tc.send)
		r.expect(tc.want)
	}
	r.Close()
}

func TestUnavailableOnDisconnectToDirected(t *testing.T) {
	srv := servertest.New(t, server.Config{})
	r := dialRaw(t, srv).login("romeo", "")
	j := dialRaw(t, srv).login("juliet", "")
	j.Send("<presence/>")
	j.expect(`<presence from="` + j.JID + `"/>`)
	r.Send(`<presence to="` + j.JID + `"/>`)
	j.expect(`<presence from="` + r.JID + `" to="` + j.JID + `"><x xmlns="vcard-temp:x:update"><photo/></x></presence>`)
	r.Close()
	// The server's </stream:stream> came after routing: it is queued.
	j.expect(`<presence from="` + r.JID + `" to="` + j.JID + `" type="unavailable" scansion:strict="true"/>`)
	j.Close()
}

func TestStanzaBeforeAuth(t *testing.T) {
	srv := servertest.New(t, server.Config{})
	c := dialRaw(t, srv)
	c.Open(servertest.StreamHeader)
	c.Send(`<message to="x@localhost"><body>hi</body></message>`)
	c.expect(`<stream:error xmlns:stream="http://etherx.jabber.org/streams"><not-authorized xmlns="urn:ietf:params:xml:ns:xmpp-streams"/><text xmlns="urn:ietf:params:xml:ns:xmpp-streams">authenticate and bind first</text></stream:error>`)
}

func TestBadPasswordRetry(t *testing.T) {
	srv := servertest.New(t, server.Config{Accounts: map[string]string{"alice": "secret"}})
	c := dialRaw(t, srv)
	c.Open(servertest.StreamHeader)
	if r := c.Plain("alice", "wrong"); r.Name.Local != "failure" || r.Child("", "not-authorized") == nil {
		t.Fatalf("got %s, want failure/not-authorized", r)
	}
	if r := c.Plain("alice", "secret"); r.Name.Local != "success" {
		t.Fatalf("retry: got %s, want success", r)
	}
}
