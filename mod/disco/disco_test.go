package disco_test

import (
	"encoding/xml"
	"testing"

	"github.com/muctest/muctest/component"
	"github.com/muctest/muctest/mod/disco"
	"github.com/muctest/muctest/mod/ping"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/moduletest"
	"github.com/muctest/muctest/xmlnode"
)

// extra registers what disco must derive its answers from: a feature of
// its own on the server, an iq advertised on accounts, and a component.
var extra = module.New("extra", func(r *module.Registrar) error {
	r.Feature(module.OnServer, "urn:example:feature")
	r.IQ(module.IQ{To: module.ToAccount, Type: module.Get, Payload: xml.Name{Space: "urn:example:acct", Local: "q"},
		Disco: module.OnAccount, Handle: func(q *module.Request) { q.Reply(q.Result()) }})
	r.Component("svc.localhost", component.HandlerFunc(func(*xmlnode.Element) {}))
	return nil
})

func TestDisco(t *testing.T) {
	s := moduletest.New(t, disco.Module{ServerName: "test"}, ping.Module{}, extra)
	alice := s.Login("alice@localhost/phone")
	bob := s.Login("bob@localhost/desk")
	const stanzas = "urn:ietf:params:xml:ns:xmpp-stanzas"
	tests := []struct {
		name string
		from *moduletest.Client
		send string
		want string
	}{
		{"server info", alice, `<iq type="get" id="1" to="localhost"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`,
			`<iq type="result" id="1" from="localhost"><query xmlns="http://jabber.org/protocol/disco#info">
				<identity category="server" type="im" name="test"/>
				<feature var="http://jabber.org/protocol/disco#info"/>
				<feature var="http://jabber.org/protocol/disco#items"/>
				<feature var="urn:xmpp:ping"/>
				<feature var="urn:example:feature"/>
			</query></iq>`},
		{"server items: the components", alice, `<iq type="get" id="2" to="localhost"><query xmlns="http://jabber.org/protocol/disco#items"/></iq>`,
			`<iq type="result" id="2" from="localhost"><query xmlns="http://jabber.org/protocol/disco#items"><item jid="svc.localhost"/></query></iq>`},
		{"own account info", alice, `<iq type="get" id="3"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`,
			`<iq type="result" id="3"><query xmlns="http://jabber.org/protocol/disco#info">
				<identity category="account" type="registered"/>
				<feature var="http://jabber.org/protocol/disco#info"/>
				<feature var="http://jabber.org/protocol/disco#items"/>
				<feature var="urn:xmpp:ping"/>
				<feature var="urn:example:acct"/>
			</query></iq>`},
		{"own account items", alice, `<iq type="get" id="4" to="alice@localhost"><query xmlns="http://jabber.org/protocol/disco#items"/></iq>`,
			`<iq type="result" id="4" from="alice@localhost"><query xmlns="http://jabber.org/protocol/disco#items"/></iq>`},
		{"someone else's account", bob, `<iq type="get" id="5" to="alice@localhost"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`,
			`<iq type="error" id="5" from="alice@localhost"><error type="cancel"><service-unavailable xmlns="` + stanzas + `"/></error></iq>`},
		{"a node", alice, `<iq type="get" id="6" to="localhost"><query xmlns="http://jabber.org/protocol/disco#info" node="x"/></iq>`,
			`<iq type="error" id="6" from="localhost"><error type="cancel"><item-not-found xmlns="` + stanzas + `"/></error></iq>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.from.In(t)
			c.Send(tc.send)
			c.Expect(tc.want)
		})
	}
}
