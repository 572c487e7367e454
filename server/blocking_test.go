package server_test

import (
	"testing"

	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
)

func TestBlocking(t *testing.T) {
	srv := servertest.New(t, server.Config{})
	a := dialRaw(t, srv).login("alice", "")
	b := dialRaw(t, srv).login("bob", "")
	a.Send("<presence/>")
	a.expect(`from="` + a.JID + `"`)

	a.Send(`<iq type="get" id="g"><blocklist xmlns="urn:xmpp:blocking"/></iq>`)
	a.expect(`id="g"`, `<blocklist xmlns="urn:xmpp:blocking"/>`)
	a.Send(`<iq type="set" id="s"><block xmlns="urn:xmpp:blocking"><item jid="bob@localhost"/></block></iq>`)
	a.expect(`id="s"`, `type="result"`)
	a.expect(`id="blocklist-push"`, `<block xmlns="urn:xmpp:blocking"><item jid="bob@localhost"/></block>`)

	tests := []struct {
		name       string
		from       *rawClient
		send, want string
	}{
		{"inbound message", b, `<message to="alice@localhost" type="chat"><body>x</body></message>`, `<service-unavailable`},
		{"inbound iq", b, `<iq type="get" id="p" to="` + a.JID + `"><ping xmlns="urn:xmpp:ping"/></iq>`, `<service-unavailable`},
		{"outbound message", a, `<message to="bob@localhost" type="chat"><body>y</body></message>`, `<blocked xmlns="urn:xmpp:blocking:errors"/>`},
		{"outbound iq", a, `<iq type="get" id="q" to="` + b.JID + `"><ping xmlns="urn:xmpp:ping"/></iq>`, `<not-acceptable`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.from.Send(tc.send)
			tc.from.expect(tc.want)
		})
	}
	// Presence is dropped both ways.
	b.Send(`<presence to="alice@localhost"/>`)
	b.expectNothing()
	a.expectNothing()

	a.Send(`<iq type="set" id="u"><unblock xmlns="urn:xmpp:blocking"/></iq>`)
	a.expect(`id="u"`, `type="result"`)
	a.expect(`id="blocklist-push"`, `<unblock xmlns="urn:xmpp:blocking"/>`)
	b.Send(`<message to="alice@localhost" type="chat"><body>z</body></message>`)
	a.expect("<body>z</body>")
}
