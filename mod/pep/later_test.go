package pep_test

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/muctest/muctest/moduletest"
)

// TestBroadcastQueriesLater: a first presence with new caps from an
// account with more contacts than one span decides makes every contact's
// service ask, on the wire as before the queries were decided and sent
// after the broadcast's span: the account's own query, its presence
// back, then one query per contact in roster order; and an answer to
// one of them reaches that service (the wait registered for it), which
// sends the last item of the node the answer +notifies.
func TestBroadcastQueriesLater(t *testing.T) {
	const n = 100 // several askChunks
	s := server(t)
	alice := s.Login("alice@localhost/a")
	alice.Send(`<presence/>`)
	contacts := make([]*moduletest.Client, n)
	for i := range contacts {
		c := s.Login("c" + strconv.Itoa(i) + "@localhost/r")
		contacts[i] = c
		cj := "c" + strconv.Itoa(i) + "@localhost"
		c.Send(`<presence/>`)
		alice.Send(`<iq type="set" id="r"><query xmlns="jabber:iq:roster"><item jid="` + cj + `"/></query></iq>`)
		alice.Send(`<presence type="subscribe" to="` + cj + `"/>`)
		c.Send(`<presence type="subscribed" to="alice@localhost"/>`)
		c.Send(`<presence type="subscribe" to="alice@localhost"/>`)
		alice.Send(`<presence type="subscribed" to="` + cj + `"/>`)
		c.Received()
	}
	alice.Received()
	c7 := contacts[7]
	c7.Send(`<iq type="set" id="t"><pubsub xmlns="http://jabber.org/protocol/pubsub"><publish node="http://jabber.org/protocol/tune"><item id="current"><tune xmlns="http://jabber.org/protocol/tune"><title>Cedars</title></tune></item></publish></pubsub></iq>`)
	c7.Received()

	alice.Send(`<presence><c xmlns="http://jabber.org/protocol/caps" hash="sha-1" node="urn:x" ver="first="/></presence>`)
	got := alice.Received()
	if len(got) != n+2 {
		t.Fatalf("got %d stanzas, want the own query, the presence and %d queries: %v", len(got), n, got)
	}
	query := func(from string) string {
		return fmt.Sprintf(`<iq xmlns="jabber:client" from="%s" to="alice@localhost/a" id="disco" type="get"><query xmlns="http://jabber.org/protocol/disco#info" node="urn:x#first="/></iq>`, from)
	}
	if g := got[0].String(); g != query("alice@localhost") {
		t.Errorf("first: %s, want the own service's query", g)
	}
	if got[1].Name.Local != "presence" || got[1].Attrib("from") != "alice@localhost/a" {
		t.Errorf("second: %v, want the presence back", got[1])
	}
	for i, el := range got[2:] {
		if g, want := el.String(), query("c"+strconv.Itoa(i)+"@localhost"); g != want {
			t.Fatalf("query %d: %s, want %s", i, g, want)
		}
	}
	for _, c := range contacts {
		c.Received()
	}
	alice.Send(`<iq type="result" id="disco" to="c7@localhost"><query xmlns="http://jabber.org/protocol/disco#info" node="urn:x#first="><identity category="client" type="pc"/><feature var="http://jabber.org/protocol/tune+notify"/></query></iq>`)
	alice.Expect(`<message type="headline" from="c7@localhost" to="alice@localhost/a"><event xmlns="http://jabber.org/protocol/pubsub#event"><items node="http://jabber.org/protocol/tune"><item id="current"><tune xmlns="http://jabber.org/protocol/tune"><title>Cedars</title></tune></item></items></event></message>`)
}
