package pubsub

import (
	"slices"
	"testing"
)

// TestRecipients: the interested entities are filtered by what their
// bare JID may do, decided once per bare JID, except for a full JID the
// node affiliates itself, which decides for that JID alone, whichever
// comes first; duplicates go once, after the subscribers.
func TestRecipients(t *testing.T) {
	const (
		okA  = "friend@localhost/a"
		okB  = "friend@localhost/b"
		bad  = "friend@localhost/banned"
		boss = "stranger@localhost/boss"
		nope = "stranger@localhost/x"
	)
	for _, tc := range []struct {
		name       string
		interested []string
		want       []string
	}{
		{"affiliated full JID first", []string{bad, okA, boss, nope, okB}, []string{okA, boss, okB}},
		{"affiliated full JID after", []string{okA, nope, bad, okB, boss}, []string{okA, okB, boss}},
		{"duplicates once", []string{okA, okA, bad, bad, okB, okA}, []string{okA, okB}},
		{"bare JIDs", []string{"friend@localhost", "stranger@localhost"}, []string{"friend@localhost"}},
		{"malformed", []string{"@@", okA}, []string{okA}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := fakeRoster{sub: map[string]bool{"friend@localhost": true}}
			s := pep(r, func(string) []string { return tc.interested })
			mustOK(t, send(t, s, romeoSelf, publishIQ("tune", "current", `<tune xmlns="http://jabber.org/protocol/tune"/>`)))
			n := s.nodes["tune"]
			if n == nil || n.cfg.AccessModel != AccessPresence {
				t.Fatal("no presence-access node tune")
			}
			n.affs[bad] = Outcast
			n.affs[boss] = Member
			if got := s.recipients(n); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
