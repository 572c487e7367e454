package router

import "testing"

// FuzzJIDStable checks that the address the router writes back into a
// stanza ("to" after parseJID, then String) is a fixed point: parsing it
// again gives the same JID. Routing keys, roster keys and the MUC's own
// parsing all see that rewritten string, so a normalisation that moved
// again on a second pass would send stanzas to the wrong place.
func FuzzJIDStable(f *testing.F) {
	for _, s := range []string{
		"user@localhost/res", "User@LOCALHOST/Res", "room@conference.localhost/🤖\uFE0F",
		"localhost", "a@b/c/d", "\u00AD@x", "ß@straße.example/ß", "x@[::1]/r", "x@127.0.0.1",
		"ﬀ@example/ﬀ", "@localhost", "a@", "a@b@c", "localhost/", "\u212B@x/\u212B",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		j, err := parseJID(s)
		if err != nil {
			return
		}
		if j.Domainpart() == "" {
			t.Fatalf("parseJID(%q) = %q without a domain", s, j)
		}
		out := j.String()
		j2, err := parseJID(out)
		if err != nil {
			t.Fatalf("parseJID(%q) = %q, which does not parse again: %v", s, out, err)
		}
		if j2.String() != out || !j2.Equal(j) {
			t.Fatalf("parseJID(%q) = %q, then %q: not stable", s, out, j2)
		}
		b := j.Bare().String()
		if jb, err := parseJID(b); err != nil || jb.String() != b {
			t.Fatalf("bare of %q: %q does not parse to itself (%q, %v)", s, b, jb, err)
		}
	})
}
