package pep_test

import (
	"fmt"
	"slices"
	"strconv"
	"testing"

	"github.com/muctest/muctest/caps"
	"github.com/muctest/muctest/moduletest"
	"github.com/muctest/muctest/xmlnode"
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

// contactsOf logs in alice and n contacts, each available and subscribed
// to alice's presence both ways, in roster order.
func contactsOf(t *testing.T, s *moduletest.Server, n int) (*moduletest.Client, []*moduletest.Client) {
	t.Helper()
	alice := s.Login("alice@localhost/a")
	alice.Send(`<presence/>`)
	contacts := make([]*moduletest.Client, n)
	for i := range contacts {
		cj := "c" + strconv.Itoa(i) + "@localhost"
		c := s.Login(cj + "/r")
		contacts[i] = c
		c.Send(`<presence/>`)
		alice.Send(`<iq type="set" id="r"><query xmlns="jabber:iq:roster"><item jid="` + cj + `"/></query></iq>`)
		alice.Send(`<presence type="subscribe" to="` + cj + `"/>`)
		c.Send(`<presence type="subscribed" to="alice@localhost"/>`)
		c.Send(`<presence type="subscribe" to="alice@localhost"/>`)
		alice.Send(`<presence type="subscribed" to="` + cj + `"/>`)
		c.Received()
	}
	alice.Received()
	return alice, contacts
}

// discoAnswer is a result to a caps query el whose features +notify the
// nodes, and the answer's ver.
func discoAnswer(el *xmlnode.Element, notify ...string) (*xmlnode.Element, string) {
	q := xmlnode.New(caps.NSDiscoInfo, "query")
	q.AddChild(caps.NSDiscoInfo, "identity", "category", "client", "type", "pc")
	for _, n := range notify {
		q.AddChild(caps.NSDiscoInfo, "feature", "var", n+"+notify")
	}
	ver := caps.Ver(q)
	if el == nil {
		return nil, ver
	}
	return xmlnode.New("jabber:client", "iq", "type", "result", "id", el.Attrib("id"), "to", el.Attrib("from")).Append(q), ver
}

// TestFanOutsLater: a publish notifying more contacts than a handler
// routes with the lock held, and an own caps answer that teaches more
// contacts' services than one span does, reach everyone, in the order
// they had when all of it was routed in the stanza's span: the
// publisher's notification before its result, and the contacts' last
// items in roster order before the account's own service's.
func TestFanOutsLater(t *testing.T) {
	const n = 40 // over routeNowMax and askChunk
	const tune, mood = "http://jabber.org/protocol/tune", "http://jabber.org/protocol/mood"
	s := server(t)
	alice, contacts := contactsOf(t, s, n)
	_, v := discoAnswer(nil, tune)
	presence := func(ver string) string {
		return `<presence><c xmlns="http://jabber.org/protocol/caps" hash="sha-1" node="urn:x" ver="` + ver + `"/></presence>`
	}
	contacts[0].Send(presence(v))
	for _, el := range contacts[0].Received() { // alice's service's query and its own
		if el.Name.Local == "iq" {
			r, _ := discoAnswer(el, tune)
			contacts[0].SendElement(r)
		}
	}
	for _, c := range contacts[1:] {
		c.Send(presence(v))
	}
	alice.Send(presence(v)) // known: alice's resource wants her tune too
	alice.Received()
	for _, c := range contacts {
		c.Received()
	}
	alice.Send(`<iq type="set" id="p"><pubsub xmlns="http://jabber.org/protocol/pubsub"><publish node="` + tune + `"><item id="current"><tune xmlns="` + tune + `"><title>A</title></tune></item></publish></pubsub></iq>`)
	got := alice.Received()
	if len(got) != 2 || got[0].Name.Local != "message" || got[1].Attrib("type") != "result" {
		t.Fatalf("the publisher got %v, want its notification, then the result", got)
	}
	for i, c := range contacts {
		if got := c.Received(); len(got) != 1 || got[0].Name.Local != "message" || got[0].Attrib("from") != "alice@localhost" {
			t.Fatalf("contact %d got %v, want the notification", i, got)
		}
	}

	for i, c := range contacts {
		c.Send(`<iq type="set" id="m"><pubsub xmlns="http://jabber.org/protocol/pubsub"><publish node="` + mood + `"><item id="current"><mood xmlns="` + mood + `"><text>` + strconv.Itoa(i) + `</text></mood></item></publish></pubsub></iq>`)
		c.Received()
	}
	alice.Send(`<iq type="set" id="m"><pubsub xmlns="http://jabber.org/protocol/pubsub"><publish node="` + mood + `"><item id="current"><mood xmlns="` + mood + `"><text>a</text></mood></item></publish></pubsub></iq>`)
	alice.Received()
	alice.Send(presence("unknown="))
	var own *xmlnode.Element
	for _, el := range alice.Received() {
		switch {
		case el.Name.Local != "iq":
		case el.Attrib("from") == "alice@localhost":
			own = el
		default:
			alice.Send(`<iq type="error" id="` + el.Attrib("id") + `" to="` + el.Attrib("from") + `"><error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`)
		}
	}
	if own == nil {
		t.Fatal("no query from alice's own service")
	}
	alice.Received()
	r, _ := discoAnswer(own, tune, mood)
	alice.SendElement(r)
	got = alice.Received()
	var from []string
	for _, el := range got {
		from = append(from, el.Attrib("from")+" "+el.Attrib("to"))
	}
	want := []string{}
	for i := range n {
		want = append(want, "c"+strconv.Itoa(i)+"@localhost alice@localhost") // mood, to the bare JID
	}
	want = append(want, "alice@localhost alice@localhost/a") // her own mood, newly wanted
	if !slices.Equal(from, want) {
		t.Fatalf("after the own answer, from and to:\n%v\nwant\n%v", from, want)
	}
}
