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
	r.expect(`from="`+r.JID+`"`, `<photo/>`)
	r.Close()
	idle(t, srv)
}

func TestMessageRouting(t *testing.T) {
	srv := servertest.New(t, server.Config{})
	r := dialRaw(t, srv).login("romeo", "")
	j := dialRaw(t, srv).login("juliet", "")
	p := dialRaw(t, srv).login("juliet", "mobile")

	r.Send("<presence/>")
	r.expect("<presence")

	// Full JID: delivered even without presence.
	r.Send(`<message to="` + j.JID + `" type="chat" from="evil@localhost"><body>Hello</body></message>`)
	j.expect(`from="`+r.JID+`"`, "Hello")

	// Bare JID with nobody available: stored offline, delivered with delay
	// on initial presence after the self-presence.
	r.Send(`<message to="juliet@localhost" type="chat"><body>are you there?</body></message>`)
	r.expectNothing()
	p.Send("<presence/>")
	p.expect(`from="` + p.JID + `"`)
	p.expect("are you there?", `xmlns="urn:xmpp:delay"`, `from="localhost"`)

	// Negative priority resources do not get bare-JID messages.
	j.Send("<presence><priority>-1</priority></presence>")
	j.expect(`from="`+j.JID+`"`, "<priority>-1</priority>")
	j.expect(`from="`+p.JID+`"`, `to="`+j.JID+`"`) // the phone's presence
	p.expect(`from="`+j.JID+`"`, "<priority>-1</priority>")
	r.Send(`<message to="juliet@localhost" type="chat"><body>How are you?</body></message>`)
	p.expect("How are you?")
	j.expectNothing()

	j.Send("<presence/>")
	j.expect(`from="` + j.JID + `"`)
	p.expect(`from="` + j.JID + `"`)
	r.Send(`<message to="juliet@localhost" type="chat"><body>There!</body></message>`)
	j.expect("There!")
	p.expect("There!")

	r.Close()
	j.Close()
	p.expect(`type="unavailable"`, `from="`+j.JID+`"`)
	p.Close()
}

func TestUnknownIQ(t *testing.T) {
	srv := servertest.New(t, server.Config{})
	r := dialRaw(t, srv).login("romeo", "")
	tests := []struct{ send, want string }{
		{`<iq type="get" id="1" to="localhost"><ping xmlns="urn:xmpp:ping"/></iq>`, `type="result"`},
		{`<iq type="get" id="2" to="localhost"><foo xmlns="urn:example"/></iq>`, `<service-unavailable`},
		{`<iq type="get" id="3" to="nobody@localhost/x"><ping xmlns="urn:xmpp:ping"/></iq>`, `<service-unavailable`},
		{`<iq type="get" id="4" to="localhost"><query xmlns="http://jabber.org/protocol/disco#items"/></iq>`, `jid="conference.localhost"`},
		{`<iq type="get" id="5"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`, `category="account"`},
		{`<message type="chat" id="6" to="x@elsewhere.example"><body>hi</body></message>`, `<not-allowed`},
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
	j.expect("<presence")
	r.Send(`<presence to="` + j.JID + `"/>`)
	j.expect(`from="`+r.JID+`"`, "<photo/>")
	r.Close()
	// The server's </stream:stream> came after routing: it is queued.
	j.expect(`from="`+r.JID+`"`, `type="unavailable"`)
	j.Close()
}

func TestStanzaBeforeAuth(t *testing.T) {
	srv := servertest.New(t, server.Config{})
	c := dialRaw(t, srv)
	c.Open(servertest.StreamHeader)
	c.Send(`<message to="x@localhost"><body>hi</body></message>`)
	c.expect("<not-authorized")
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
