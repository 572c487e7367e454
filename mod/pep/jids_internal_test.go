package pep

import (
	"strconv"
	"testing"

	"mellium.im/xmpp/jid"
)

// TestParseJIDRemembered checks that a remembered parse is what jid.Parse
// says, the first time and from the cache, and that the cache stays
// bounded.
func TestParseJIDRemembered(t *testing.T) {
	for _, s := range []string{"juliet@example.com/balcony", "Juliet@Example.com", "example.com", "a@b/c/d", "@bad", "", "x@y@z"} {
		want, err := jid.Parse(s)
		for range 2 {
			p, ok := parseJID(s)
			if ok != (err == nil) {
				t.Fatalf("parseJID(%q) ok = %v, jid.Parse error %v", s, ok, err)
			}
			if ok && (!p.j.Equal(want) || p.bare != want.Bare().String() || bareOf(s) != p.bare) {
				t.Fatalf("parseJID(%q) = %v (bare %q), want %v", s, p.j, p.bare, want)
			}
		}
	}
	for i := range 2 * maxParsed {
		parseJID("u" + strconv.Itoa(i) + "@example.com")
	}
	if n := parsed.Len(); n > maxParsed {
		t.Fatalf("%d remembered, more than %d", n, maxParsed)
	}
}
