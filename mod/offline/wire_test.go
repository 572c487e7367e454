package offline_test

import (
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/mod/offline"
	"github.com/muctest/muctest/moduletest"
	"github.com/muctest/muctest/xmlnode"
)

// TestStoredAsWire checks that a message kept in its wire form comes back
// as the same stanza: payload namespaces, prefixed and xml: attributes,
// escaped text and CDATA all survive being stored as bytes and parsed on
// delivery.
func TestStoredAsWire(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	s := moduletest.New(t, offline.Module{Now: func() time.Time { return at }})
	r := s.Login("romeo@localhost/r")
	payload := `<body xml:lang="fr">a &amp; b &lt; c<![CDATA[ ]]>&gt;"'</body>` +
		`<x xmlns="urn:example:x" xmlns:p="urn:example:p" p:a="1&#9;2"><y/><body xmlns="jabber:client">inner</body></x>` +
		strings.Repeat(`<a xmlns="urn:example:many"/>`, 50)
	r.Send(`<message to="juliet@localhost" type="chat" id="w">` + payload + `</message>`)
	j := s.Login("juliet@localhost/j")
	j.Send(`<presence/>`)
	var got *xmlnode.Element
	for _, st := range j.Received() {
		if st.Name.Local == "message" {
			got = st
		}
	}
	if got == nil {
		t.Fatal("no offline message delivered")
	}
	want := xmlnode.MustParse(`<message xmlns="jabber:client" to="juliet@localhost" type="chat" id="w" from="romeo@localhost/r">` + payload +
		`<delay xmlns="urn:xmpp:delay" from="localhost" stamp="2026-12-01T10:00:00Z"/></message>`)
	got = got.Copy().RemoveAttr("to")
	want.RemoveAttr("to")
	if got.String() != want.String() {
		t.Errorf("delivered\n%s\nwant\n%s", got, want)
	}
}
