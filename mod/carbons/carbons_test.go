package carbons_test

import (
	"testing"

	"github.com/muctest/muctest/mod/carbons"
	"github.com/muctest/muctest/moduletest"
)

func TestCarbons(t *testing.T) {
	s := moduletest.New(t, carbons.Module{})
	a1 := s.Login("alice@localhost/one")
	a2 := s.Login("alice@localhost/two")
	a3 := s.Login("alice@localhost/three") // never enables carbons
	b := s.Login("bob@localhost/b")
	for _, c := range []*moduletest.Client{a1, a2} {
		c.Send(`<iq type="set" id="c"><enable xmlns="urn:xmpp:carbons:2"/></iq>`)
		c.Expect(`<iq type="result" id="c"/>`)
	}

	// Received: bob writes to alice/one; alice/two gets a copy.
	b.Send(`<message to="alice@localhost/one" type="chat"><body>hi one</body></message>`)
	a1.Expect(`<message from="bob@localhost/b" type="chat"><body>hi one</body></message>`)
	a2.Expect(`<message from="alice@localhost" to="alice@localhost/two" type="chat"><received xmlns="urn:xmpp:carbons:2"><forwarded xmlns="urn:xmpp:forward:0">
		<message xmlns="jabber:client" from="bob@localhost/b" to="alice@localhost/one" type="chat"><body>hi one</body></message>
	</forwarded></received></message>`)

	// Sent: alice/one writes to bob; alice/two gets a copy.
	a1.Send(`<message to="bob@localhost/b" type="chat"><body>hi bob</body></message>`)
	b.Expect(`<message from="alice@localhost/one" type="chat"><body>hi bob</body></message>`)
	a2.Expect(`<message from="alice@localhost" to="alice@localhost/two" type="chat"><sent xmlns="urn:xmpp:carbons:2"><forwarded xmlns="urn:xmpp:forward:0">
		<message xmlns="jabber:client" from="alice@localhost/one" to="bob@localhost/b" type="chat"><body>hi bob</body></message>
	</forwarded></sent></message>`)

	// Not copied: private, groupchat, headline; alice/three never.
	for _, m := range []string{
		`<message to="bob@localhost/b" type="chat"><body>secret</body><private xmlns="urn:xmpp:carbons:2"/></message>`,
		`<message to="bob@localhost/b" type="headline"><body>news</body></message>`,
		`<message to="bob@localhost/b" type="chat"><body>pm</body><x xmlns="http://jabber.org/protocol/muc#user"/></message>`,
	} {
		a1.Send(m)
		if got := b.Received(); len(got) != 1 {
			t.Fatalf("bob got %v", got)
		}
	}
	a2.ExpectNothing()
	a3.ExpectNothing()

	// Only the owner's sessions, only set.
	b.Send(`<iq type="set" id="x" to="alice@localhost"><enable xmlns="urn:xmpp:carbons:2"/></iq>`)
	b.Expect(`<iq type="error" id="x"><error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`)

	// Disabled again: no more copies.
	a2.Send(`<iq type="set" id="d"><disable xmlns="urn:xmpp:carbons:2"/></iq>`)
	a2.Expect(`<iq type="result" id="d"/>`)
	b.Send(`<message to="alice@localhost/one" type="chat"><body>again</body></message>`)
	a1.Expect(`<message type="chat"><body>again</body></message>`)
	a2.ExpectNothing()
}
