package muc

import "testing"

// FuzzPrep checks that the service's own preparation of JIDs (invite,
// decline and admin item addresses) and of nicknames is idempotent: a
// prepared value prepares to itself. Affiliations, reserved nicknames and
// occupants are keyed by these strings, so a second pass that changed them
// again would let one user hold two keys.
func FuzzPrep(f *testing.F) {
	for _, s := range []string{
		"user@localhost", "User@LocalHost/Res", "@@", "a@b@c", "nick", "Nick\u00AD", "🤖\uFE0F",
		" spaced ", "ß", "ﬀ", "\u212B", "a\u200Db", "room@conference.localhost/nick",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if j, ok := prepJID(s); ok {
			if j2, ok := prepJID(j); !ok || j2 != j {
				t.Fatalf("prepJID(%q) = %q, then %q (%v)", s, j, j2, ok)
			}
		}
		if n, ok := prepNick(s); ok {
			if n2, ok := prepNick(n); !ok || n2 != n {
				t.Fatalf("prepNick(%q) = %q, then %q (%v)", s, n, n2, ok)
			}
		}
	})
}
