package extdisco_test

import (
	"testing"

	"github.com/muctest/muctest/extdisco"
	extdiscomod "github.com/muctest/muctest/mod/extdisco"
	"github.com/muctest/muctest/moduletest"
)

func TestExtDisco(t *testing.T) {
	s := moduletest.New(t, extdiscomod.Module{Config: extdisco.Config{Host: "turn.example", Port: 3478, Services: []extdisco.Service{
		{Type: "stun", Transport: "udp"},
		{Type: "turn", Transport: "udp", Username: "u", Password: "p"},
	}}})
	alice := s.Login("alice@localhost/phone")
	tests := []struct{ name, send, want string }{
		{"services",
			`<iq type="get" id="1" to="localhost"><services xmlns="urn:xmpp:extdisco:2"/></iq>`,
			`<iq type="result" id="1" from="localhost"><services xmlns="urn:xmpp:extdisco:2">` +
				`<service type="stun" transport="udp" host="turn.example" port="3478"/>` +
				`<service type="turn" transport="udp" host="turn.example" port="3478" username="u" password="p" restricted="1"/></services></iq>`},
		{"credentials",
			`<iq type="get" id="2" to="localhost"><credentials xmlns="urn:xmpp:extdisco:2"><service type="turn" host="turn.example"/></credentials></iq>`,
			`<iq type="result" id="2" from="localhost"><credentials xmlns="urn:xmpp:extdisco:2">` +
				`<service type="turn" transport="udp" host="turn.example" port="3478" username="u" password="p" restricted="1"/></credentials></iq>`},
		{"credentials without type",
			`<iq type="get" id="3" to="localhost"><credentials xmlns="urn:xmpp:extdisco:2"><service host="turn.example"/></credentials></iq>`,
			`<iq type="error" id="3" from="localhost"><error type="modify"><bad-request xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := alice.In(t)
			c.Send(tt.send)
			c.Expect(tt.want)
		})
	}
}
