package ping_test

import (
	"testing"

	"github.com/muctest/muctest/mod/ping"
	"github.com/muctest/muctest/moduletest"
)

func TestPing(t *testing.T) {
	s := moduletest.New(t, ping.Module{})
	alice := s.Login("alice@localhost/phone")
	tests := []struct{ name, send, want string }{
		{"server", `<iq type="get" id="1" to="localhost"><ping xmlns="urn:xmpp:ping"/></iq>`,
			`<iq type="result" id="1" from="localhost" to="alice@localhost/phone" scansion:strict="true"/>`},
		{"own account without to", `<iq type="get" id="2"><ping xmlns="urn:xmpp:ping"/></iq>`,
			`<iq type="result" id="2" to="alice@localhost/phone" scansion:strict="true"/>`},
		{"another account", `<iq type="get" id="3" to="bob@localhost"><ping xmlns="urn:xmpp:ping"/></iq>`,
			`<iq type="result" id="3" from="bob@localhost" to="alice@localhost/phone" scansion:strict="true"/>`},
		{"set is not ping", `<iq type="set" id="4" to="localhost"><ping xmlns="urn:xmpp:ping"/></iq>`,
			`<iq type="error" id="4" from="localhost"><error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := alice.In(t)
			c.Send(tc.send)
			c.Expect(tc.want)
		})
	}
}
