package server_test

import (
	"testing"

	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
)

func TestInitialPresenceReflected(t *testing.T) {
	srv := servertest.New(t, server.Config{})
	r := dialRaw(t, srv).login("romeo", "")
	r.send("<presence/>")
	r.expect(`from="`+r.jid+`"`, `<photo/>`)
	r.close()
	idle(t, srv)
}

func TestMessageRouting(t *testing.T) {
	srv := servertest.New(t, server.Config{})
	r := dialRaw(t, srv).login("romeo", "")
	j := dialRaw(t, srv).login("juliet", "")
	p := dialRaw(t, srv).login("juliet", "mobile")

	r.send("<presence/>")
	r.expect("<presence")

	// Full JID: delivered even without presence.
	r.send(`<message to="` + j.jid + `" type="chat" from="evil@localhost"><body>Hello</body></message>`)
	j.expect(`from="`+r.jid+`"`, "Hello")

	// Bare JID with nobody available: stored offline, delivered with delay
	// on initial presence after the self-presence.
	r.send(`<message to="juliet@localhost" type="chat"><body>are you there?</body></message>`)
	r.expectNothing()
	p.send("<presence/>")
	p.expect(`from="` + p.jid + `"`)
	p.expect("are you there?", `xmlns="urn:xmpp:delay"`, `from="localhost"`)

	// Negative priority resources do not get bare-JID messages.
	j.send("<presence><priority>-1</priority></presence>")
	j.expect(`from="`+j.jid+`"`, "<priority>-1</priority>")
	j.expect(`from="`+p.jid+`"`, `to="`+j.jid+`"`) // the phone's presence
	p.expect(`from="`+j.jid+`"`, "<priority>-1</priority>")
	r.send(`<message to="juliet@localhost" type="chat"><body>How are you?</body></message>`)
	p.expect("How are you?")
	j.expectNothing()

	j.send("<presence/>")
	j.expect(`from="` + j.jid + `"`)
	p.expect(`from="` + j.jid + `"`)
	r.send(`<message to="juliet@localhost" type="chat"><body>There!</body></message>`)
	j.expect("There!")
	p.expect("There!")

	r.close()
	j.close()
	p.expect(`type="unavailable"`, `from="`+j.jid+`"`)
	p.close()
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
		r.send(tc.send)
		r.expect(tc.want)
	}
	r.close()
}

func TestUnavailableOnDisconnectToDirected(t *testing.T) {
	srv := servertest.New(t, server.Config{})
	r := dialRaw(t, srv).login("romeo", "")
	j := dialRaw(t, srv).login("juliet", "")
	j.send("<presence/>")
	j.expect("<presence")
	r.send(`<presence to="` + j.jid + `"/>`)
	j.expect(`from="`+r.jid+`"`, "<photo/>")
	r.close()
	// The server's </stream:stream> came after routing: it is queued.
	j.expect(`from="`+r.jid+`"`, `type="unavailable"`)
	j.close()
}

func TestStanzaBeforeAuth(t *testing.T) {
	srv := servertest.New(t, server.Config{})
	c := dialRaw(t, srv)
	c.openStream(streamHeader)
	c.send(`<message to="x@localhost"><body>hi</body></message>`)
	c.expect("<not-authorized")
}

func TestBadPasswordRetry(t *testing.T) {
	srv := servertest.New(t, server.Config{Accounts: map[string]string{"alice": "secret"}})
	c := dialRaw(t, srv)
	c.openStream(streamHeader)
	if r := c.auth("alice", "wrong"); r.Name.Local != "failure" || r.Child("", "not-authorized") == nil {
		t.Fatalf("got %s, want failure/not-authorized", r)
	}
	if r := c.auth("alice", "secret"); r.Name.Local != "success" {
		t.Fatalf("retry: got %s, want success", r)
	}
}
