package stanzaerr_test

import (
	"testing"

	"github.com/muctest/muctest/stanzaerr"
	"github.com/muctest/muctest/xmlnode"
)

func TestReply(t *testing.T) {
	tests := []struct {
		name, in, typ, cond, text, by, want string
	}{
		{"iq with everything", `<iq xmlns="jabber:client" type="get" id="1" from="a@x/r" to="b@x"><query xmlns="urn:q"/></iq>`,
			"cancel", "service-unavailable", "", "",
			`<iq xmlns="jabber:client" from="b@x" to="a@x/r" id="1" type="error"><error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`},
		{"no addresses (negotiation)", `<iq xmlns="jabber:client" type="set" id="b"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"/></iq>`,
			"modify", "bad-request", "", "",
			`<iq xmlns="jabber:client" id="b" type="error"><error type="modify"><bad-request xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`},
		{"message with text, no id", `<message xmlns="jabber:client" from="a@x/r" to="room@muc"><body>hi</body></message>`,
			"modify", "not-acceptable", "You are not in the room", "",
			`<message xmlns="jabber:client" from="room@muc" to="a@x/r" type="error"><error type="modify"><not-acceptable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/><text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">You are not in the room</text></error></message>`},
		{"by someone else", `<presence xmlns="jabber:client" from="a@x/r" to="room@muc/nick"/>`,
			"cancel", "conflict", "", "room@muc",
			`<presence xmlns="jabber:client" from="room@muc/nick" to="a@x/r" type="error"><error type="cancel" by="room@muc"><conflict xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></presence>`},
		{"by the sender itself is left out", `<iq xmlns="jabber:client" type="set" id="2" from="a@x/r" to="room@muc"/>`,
			"auth", "forbidden", "", "room@muc",
			`<iq xmlns="jabber:client" from="room@muc" to="a@x/r" id="2" type="error"><error type="auth"><forbidden xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := stanzaerr.Reply(xmlnode.MustParse(tc.in), tc.typ, tc.cond, tc.text, tc.by).String()
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}
