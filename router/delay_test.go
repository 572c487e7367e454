package router_test

import (
	"testing"

	"github.com/muctest/muctest/mod/roster"
	"github.com/muctest/muctest/moduletest"
)

// TestStoredPresenceCarriesDelay pins Prosody trunk's stamp on the
// presence the server keeps for a session: what a prober, a new subscriber
// or the user's next resource gets says, in an XEP-0203 <delay/> from the
// server, when it was sent; the live broadcast carries none, and a
// <delay/> the client wrote itself is replaced by the server's.
func TestStoredPresenceCarriesDelay(t *testing.T) {
	s := moduletest.New(t, roster.Module{})
	juliet := s.Login("juliet@localhost/balcony")
	juliet.Send(`<presence><show>away</show><delay xmlns="urn:xmpp:delay" from="evil.example" stamp="1999-01-01T00:00:00Z"/></presence>`)
	juliet.Expect(`<presence from="juliet@localhost/balcony"><show>away</show><delay xmlns="urn:xmpp:delay" from="evil.example" stamp="1999-01-01T00:00:00Z"/></presence>`)

	// Her next resource gets the stored copy.
	phone := s.Login("juliet@localhost/phone")
	phone.Send(`<presence/>`)
	got := phone.Received()
	if len(got) != 2 {
		t.Fatalf("phone got %d stanzas: %v", len(got), got)
	}
	if d := got[1].ChildrenNamed("urn:xmpp:delay", "delay"); len(d) != 1 || d[0].Attrib("from") != "localhost" || d[0].Attrib("stamp") == "" {
		t.Errorf("stored presence's delay: %s", got[1])
	}
	got = juliet.Received()
	if len(got) != 1 || got[0].Child("urn:xmpp:delay", "delay") != nil {
		t.Errorf("the live broadcast to the other resource: %v", got)
	}
}
