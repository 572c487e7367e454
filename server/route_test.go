package server_test

import (
	"testing"

	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
)

// TestMessageRules walks RFC 6121 section 8.5 for messages, with the
// choices Prosody makes where the RFC leaves room.
func TestMessageRules(t *testing.T) {
	srv := servertest.New(t, server.Config{Accounts: map[string]string{"alice": "password", "bob": "password"}})
	a := dialRaw(t, srv).login("alice", "")
	b := dialRaw(t, srv).login("bob", "here") // bound, no presence
	tests := []struct {
		name, send string
		toBob      string // what bob gets, "" for nothing
		toAlice    string // what alice gets back, "" for nothing
	}{
		{"full JID, no presence needed", `<message to="bob@localhost/here" type="chat"><body>1</body></message>`,
			`<message to="bob@localhost/here" type="chat" from="` + a.JID + `"><body>1</body></message>`, ""},
		{"offline full JID, groupchat", `<message to="bob@localhost/gone" type="groupchat"><body>2</body></message>`, "", bounce("bob@localhost/gone", "service-unavailable")},
		{"offline full JID, headline", `<message to="bob@localhost/gone" type="headline"><body>3</body></message>`, "", ""},
		{"bare JID, headline, nobody available", `<message to="bob@localhost" type="headline"><body>4</body></message>`, "", ""},
		{"bare JID, groupchat", `<message to="bob@localhost" type="groupchat"><body>5</body></message>`, "", bounce("bob@localhost", "service-unavailable")},
		{"bare JID, error", `<message to="bob@localhost" type="error"><body>6</body></message>`, "", ""},
		{"server domain", `<message to="localhost" type="chat"><body>7</body></message>`, "", bounce("localhost", "service-unavailable")},
		{"unknown account", `<message to="carol@localhost" type="chat"><body>8</body></message>`, "", bounce("carol@localhost", "service-unavailable")},
		{"malformed to", `<message to="a@b@c" type="chat"><body>9</body></message>`, "", `<message type="error"><error type="modify"><jid-malformed xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></message>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a.Send(tc.send)
			if tc.toAlice != "" {
				a.expect(tc.toAlice)
			} else {
				a.expectNothing()
			}
			if tc.toBob != "" {
				b.expect(tc.toBob)
			} else {
				b.expectNothing()
			}
		})
	}
	// Chat and normal messages to the bare JID while nobody is available
	// were stored (the offline full JID ones fall back to the bare JID);
	// bob gets them on initial presence, nothing else.
	a.Send(`<message to="bob@localhost/gone" type="chat"><body>stored 1</body></message>`)
	a.Send(`<message to="bob@localhost"><body>stored 2</body></message>`)
	a.expectNothing()
	b.Send("<presence/>")
	b.expect(`<presence from="bob@localhost/here"/>`)
	const delay = `<delay xmlns="urn:xmpp:delay" from="localhost" stamp="{scansion:any}"/>`
	b.expect(`<message to="bob@localhost/gone" type="chat" from="` + a.JID + `"><body>stored 1</body>` + delay + `</message>`)
	b.expect(`<message to="bob@localhost" from="` + a.JID + `"><body>stored 2</body>` + delay + `</message>`)
	b.expectNothing()
}

// bounce is the error a message to "from" comes back with.
func bounce(from, cond string) string {
	return `<message type="error" from="` + from + `"><error type="cancel"><` + cond + ` xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></message>`
}
