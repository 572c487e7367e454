package pep_test

import (
	"slices"
	"strconv"
	"testing"
)

// TestKnownCapsItemsBeforeEcho: an initial presence with caps every
// contact's service knows, from an account with more contacts than one
// span of the router's broadcast reaches (router/broadcast.go), gets the
// contacts' last items first, in roster order, then its own presence
// back, then the contacts' presences (the probes' answers): the order
// Prosody gives, whose mod_pep sends the items from the contacts'
// presence hooks, before the echo.
func TestKnownCapsItemsBeforeEcho(t *testing.T) {
	const n = 100 // several spans
	const tune = "http://jabber.org/protocol/tune"
	s := server(t)
	alice, contacts := contactsOf(t, s, n)
	for i, c := range contacts {
		c.Send(`<iq type="set" id="t"><pubsub xmlns="http://jabber.org/protocol/pubsub"><publish node="` + tune + `"><item id="current"><tune xmlns="` + tune + `"><title>` + strconv.Itoa(i) + `</title></tune></item></publish></pubsub></iq>`)
		c.Received()
	}
	_, v := discoAnswer(nil, tune)
	presence := `<presence><c xmlns="http://jabber.org/protocol/caps" hash="sha-1" node="urn:x" ver="` + v + `"/></presence>`
	contacts[0].Send(presence) // teaches the server v
	for _, el := range contacts[0].Received() {
		if el.Name.Local == "iq" {
			r, _ := discoAnswer(el, tune)
			contacts[0].SendElement(r)
		}
	}
	contacts[0].Received()
	alice.Send(`<presence type="unavailable"/>`)
	alice.Received()
	for _, c := range contacts {
		c.Received()
	}

	alice.Send(presence)
	var got []string
	for _, el := range alice.Received() {
		got = append(got, el.Name.Local+" "+el.Attrib("from"))
	}
	var want []string
	for i := range n {
		want = append(want, "message c"+strconv.Itoa(i)+"@localhost")
	}
	want = append(want, "presence alice@localhost/a")
	for i := range n {
		want = append(want, "presence c"+strconv.Itoa(i)+"@localhost/r")
	}
	if !slices.Equal(got, want) {
		t.Fatalf("alice got\n%v\nwant\n%v", got, want)
	}
}
