package hostile_test

import (
	"strings"
	"testing"

	"github.com/muctest/muctest/server"
)

// TestStanzaErrors sends stanzas that are well-formed XML but wrong, from a
// bound session. Each must get the stanza error of RFC 6120 section 8.3.3
// (or RFC 6121) while the stream stays up.
func TestStanzaErrors(t *testing.T) {
	t.Parallel() // a server of its own, nothing process-wide measured (doc.go)

	long := strings.Repeat("x", 1100) // parts are limited to 1023 bytes (RFC 7622 section 3.1)
	cases := []struct {
		name      string
		send      string
		typ, cond string
	}{
		// Malformed JIDs in "to" (RFC 6120 section 8.3.3.8).
		{"to-two-ats", `<message id='m' to='a@b@localhost'><body>x</body></message>`, "modify", "jid-malformed"},
		{"to-empty-localpart", `<message id='m' to='@localhost'><body>x</body></message>`, "modify", "jid-malformed"},
		{"to-empty-resource", `<message id='m' to='bob@localhost/'><body>x</body></message>`, "modify", "jid-malformed"},
		{"to-empty-domain", `<message id='m' to='bob@'><body>x</body></message>`, "modify", "jid-malformed"},
		{"to-long-localpart", `<message id='m' to='` + long + `@localhost'><body>x</body></message>`, "modify", "jid-malformed"},
		{"to-long-resource", `<message id='m' to='bob@localhost/` + long + `'><body>x</body></message>`, "modify", "jid-malformed"},
		{"to-forbidden-localpart-char", `<message id='m' to='b&quot;ob@localhost'><body>x</body></message>`, "modify", "jid-malformed"},
		{"to-tab-in-resource", `<message id='m' to='bob@localhost/a&#9;b'><body>x</body></message>`, "modify", "jid-malformed"},
		{"to-empty-domain-label", `<message id='m' to='bob@localhost..'><body>x</body></message>`, "modify", "jid-malformed"},
		{"to-leading-dot-domain", `<message id='m' to='bob@.localhost'><body>x</body></message>`, "modify", "jid-malformed"},
		{"iq-to-malformed", `<iq id='q' type='get' to='@@'><ping xmlns='urn:xmpp:ping'/></iq>`, "modify", "jid-malformed"},
		{"presence-to-malformed", `<presence id='p' to='a@b@c'/>`, "modify", "jid-malformed"},
		{"muc-join-malformed-room", `<presence id='p' to='a@b@conference.localhost/nick'><x xmlns='` + nsMUC + `'/></presence>`, "modify", "jid-malformed"},

		// JIDs read from payloads: roster items (RFC 6121 section 2.3.3)
		// and blocking items (XEP-0191 section 3.3).
		{"roster-item-malformed", `<iq id='q' type='set'><query xmlns='jabber:iq:roster'><item jid='a@b@c'/></query></iq>`, "modify", "jid-malformed"},
		{"roster-item-full-jid", `<iq id='q' type='set'><query xmlns='jabber:iq:roster'><item jid='bob@localhost/res'/></query></iq>`, "modify", "jid-malformed"},
		{"roster-item-missing-jid", `<iq id='q' type='set'><query xmlns='jabber:iq:roster'><item name='x'/></query></iq>`, "modify", "jid-malformed"},
		{"roster-two-items", `<iq id='q' type='set'><query xmlns='jabber:iq:roster'><item jid='bob@localhost'/><item jid='eve@localhost'/></query></iq>`, "modify", "bad-request"},
		{"block-item-malformed", `<iq id='q' type='set'><block xmlns='urn:xmpp:blocking'><item jid='@@'/></block></iq>`, "modify", "jid-malformed"},
		{"presence-subscribe-malformed", `<presence id='p' type='subscribe' to='bob@@localhost'/>`, "modify", "jid-malformed"},

		// IQ semantics (RFC 6120 section 8.2.3).
		{"iq-without-id", `<iq type='get' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`, "modify", "bad-request"},
		{"iq-without-type", `<iq id='q' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`, "modify", "bad-request"},
		{"iq-bad-type", `<iq id='q' type='fetch' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`, "modify", "bad-request"},
		{"iq-get-no-child", `<iq id='q' type='get' to='localhost'/>`, "modify", "bad-request"},
		{"iq-get-two-children", `<iq id='q' type='get' to='localhost'><ping xmlns='urn:xmpp:ping'/><ping xmlns='urn:xmpp:ping'/></iq>`, "modify", "bad-request"},

		// Unknown namespaces (RFC 6120 section 8.4).
		{"unknown-ns-to-server", `<iq id='q' type='get' to='localhost'><query xmlns='urn:example:unknown'/></iq>`, "cancel", "service-unavailable"},
		{"unknown-ns-to-self", `<iq id='q' type='get'><query xmlns='urn:example:unknown'/></iq>`, "cancel", "service-unavailable"},
		{"unknown-ns-set-to-server", `<iq id='q' type='set' to='localhost'><query xmlns='urn:example:unknown'/></iq>`, "cancel", "service-unavailable"},
		{"unknown-ns-to-bare-jid", `<iq id='q' type='get' to='bob@localhost'><query xmlns='urn:example:unknown'/></iq>`, "cancel", "service-unavailable"},
		{"unknown-ns-to-offline-user", `<iq id='q' type='get' to='eve@localhost/gone'><query xmlns='urn:example:unknown'/></iq>`, "cancel", "service-unavailable"},
		{"unknown-ns-to-muc-service", `<iq id='q' type='get' to='conference.localhost'><query xmlns='urn:example:unknown'/></iq>`, "cancel", "service-unavailable"},
		{"unknown-ns-to-missing-room", `<iq id='q' type='get' to='nowhere@conference.localhost'><query xmlns='urn:example:unknown'/></iq>`, "cancel", "item-not-found"},

		// Addresses this server cannot reach.
		{"remote-domain", `<message id='m' to='bob@example.org'><body>x</body></message>`, "cancel", "not-allowed"},
	}
	e := newEnv(t, server.Config{})
	m := dialRaw(t, e.srv)
	m.login("mallory")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := e.in(t)
			m.Send(c.send)
			wantStanzaError(t, m.Next(), c.typ, c.cond)
			e.checkWitnesses()
		})
	}
}

// TestBindErrors sends bad resource binding requests (RFC 6120 section
// 7.7.2): each gets bad-request and the stream stays usable for a good one.
func TestBindErrors(t *testing.T) {
	t.Parallel() // a server of its own, nothing process-wide measured (doc.go)
	cases := []struct{ name, iq string }{
		{"long-resource", `<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>` + strings.Repeat("r", 1100) + `</resource></bind></iq>`},
		{"tab-in-resource", `<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>a&#9;b</resource></bind></iq>`},
		{"bind-get", `<iq type='get' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>`},
	}
	e := newEnv(t, server.Config{})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := e.in(t)
			r := dialRaw(t, e.srv)
			r.open()
			if a := r.Plain("mallory", password); a.Name.Local != "success" {
				t.Fatalf("auth: %s", a)
			}
			r.Restart()
			r.open()
			r.Send(c.iq)
			wantStanzaError(t, r.Next(), "modify", "bad-request")
			r.Send(`<iq type='set' id='ok'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>fine</resource></bind></iq>`)
			if b := r.Next(); b.Attrib("type") != "result" {
				t.Fatalf("bind after a refused one: %s", b)
			}
			e.checkWitnesses()
		})
	}
}

// TestSpoofedFrom checks that the server overwrites "from" on everything a
// client sends (RFC 6120 section 8.1.2.1): the recipient sees the real
// sender, and answers go back to the real sender.
func TestSpoofedFrom(t *testing.T) {
	t.Parallel() // a server of its own, nothing process-wide measured (doc.go)
	e := newEnv(t, server.Config{})
	m := dialRaw(t, e.srv)
	mj := m.login("mallory")
	for _, from := range []string{"alice@localhost/witness", "localhost", "conference.localhost", "@@bad", "bob@localhost"} {
		t.Run(from, func(t *testing.T) {
			e := e.in(t)
			m.Send(`<message type='chat' to='` + e.bob.JID() + `' from='` + from + `'><body>trust me</body></message>`)
			got := recv(t, e.bob)
			if got.Attrib("from") != mj || got.ChildText("jabber:client", "body") != "trust me" {
				t.Fatalf("bob got %s, want it from %s", got, mj)
			}
			// An IQ to the server with a forged from: the answer comes
			// back to mallory, not to the forged address.
			m.Send(`<iq type='get' id='spoof' to='localhost' from='` + from + `'><ping xmlns='urn:xmpp:ping'/></iq>`)
			r := m.Next()
			if r.Attrib("id") != "spoof" || r.Attrib("type") != "result" || r.Attrib("to") != mj {
				t.Fatalf("ping reply %s, want a result to %s", r, mj)
			}
			e.checkWitnesses()
		})
	}
}

// TestUnknownPayloadDelivered checks that a message with an unknown payload
// namespace to a user is delivered, not refused: only IQs need a handler.
func TestUnknownPayloadDelivered(t *testing.T) {
	t.Parallel() // a server of its own, nothing process-wide measured (doc.go)
	e := newEnv(t, server.Config{})
	m := dialRaw(t, e.srv)
	m.login("mallory")
	m.Send(`<message type='chat' to='` + e.bob.JID() + `'><weird xmlns='urn:example:weird'><deep/></weird></message>`)
	if got := recv(t, e.bob); got.Child("urn:example:weird", "weird") == nil {
		t.Fatalf("bob got %s", got)
	}
	e.checkWitnesses()
}
