package jidcheck

import (
	"strings"
	"testing"

	"mellium.im/xmpp/jid"
)

// sameJID compares everything a caller can see of a JID.
func sameJID(a, b jid.JID) bool {
	return a.Equal(b) && a.String() == b.String() && a.Localpart() == b.Localpart() &&
		a.Domainpart() == b.Domainpart() && a.Resourcepart() == b.Resourcepart()
}

// checkFast fails t when the fast path accepts s and the full paths do not
// give the same JID (Parse's full path and jid.Parse for ParseFast). It
// reports whether the fast path took s.
func checkFast(t *testing.T, s string) bool {
	t.Helper()
	local, domain, res, hasRes, ok := splitASCII(s)
	if !ok {
		return false
	}
	fast, ok := parseASCII(local, domain, res, hasRes)
	if !ok {
		return false
	}
	full, err := parseFull(s)
	if err != nil {
		t.Fatalf("fast path takes %q as %q; Parse's full path refuses it: %v", s, fast, err)
	}
	if !sameJID(fast, full) {
		t.Fatalf("fast path parses %q to %q; the full path to %q", s, fast, full)
	}
	std, err := jid.Parse(s)
	if err != nil || !sameJID(fast, std) {
		t.Fatalf("fast path parses %q to %q; jid.Parse to %q, %v", s, fast, std, err)
	}
	return true
}

// checkNewFast fails t when NewFast and jid.New differ.
func checkNewFast(t *testing.T, local, domain, res string) {
	t.Helper()
	got, err := NewFast(local, domain, res)
	want, wantErr := jid.New(local, domain, res)
	if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) || (err == nil && !sameJID(got, want)) {
		t.Fatalf("NewFast(%q, %q, %q) = %q, %v; jid.New gives %q, %v", local, domain, res, got, err, want, wantErr)
	}
}

// TestASCIIFastPath checks that the fast path takes the JIDs clients send
// (a fast path that declines everything would pass the equality checks)
// and declines what only the full path can judge.
func TestASCIIFastPath(t *testing.T) {
	for _, tc := range []struct {
		s    string
		fast bool
	}{
		{"user@localhost/res", true},
		{"localhost", true},
		{"room@conference.localhost", true},
		{"Room@Conference.LocalHost/Nick Name", true},
		{"a.b-c_d+e@x-1.example.org/a@b/c", true},
		{"1.2.3.4", true},
		{"user@localhost/ ", true},
		{"xn--bcher-kva.ch", false},
		{"a@-x.y", false},
		{"a@x-.y", false},
		{"a@ab--c.y", false},
		{"a@b..c", false},
		{"a@b.", false},
		{".b", false},
		{"a@_b", false},
		{"a@[::1]", false},
		{"@b", false},
		{"a@b/", false},
		{"a b@c", false},
		{"a:b@c", false},
		{"ä@b", false},
		{"a@b/\x7f", false},
		{"a@b/\t", false},
		{strings.Repeat("a", MaxPartBytes+1) + "@b", false},
		{"a@b/" + strings.Repeat("r", MaxPartBytes+1), false},
	} {
		if got := checkFast(t, tc.s); got != tc.fast {
			t.Errorf("fast path takes %q: %v, want %v", tc.s, got, tc.fast)
		}
		want, wantErr := parseFull(tc.s)
		got, err := Parse(tc.s)
		if (err == nil) != (wantErr == nil) || (err == nil && !sameJID(got, want)) {
			t.Errorf("Parse(%q) = %q, %v; full path %q, %v", tc.s, got, err, want, wantErr)
		}
		want, wantErr = jid.Parse(tc.s)
		got, err = ParseFast(tc.s)
		if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) || (err == nil && !sameJID(got, want)) {
			t.Errorf("ParseFast(%q) = %q, %v; jid.Parse %q, %v", tc.s, got, err, want, wantErr)
		}
	}
}

// TestASCIIFastPathEveryByte puts every byte in every position of a few
// JIDs: each part's first, middle and last byte, and a label's.
func TestASCIIFastPathEveryByte(t *testing.T) {
	templates := []string{"?ab@cd.ef/gh", "a?b@cd.ef/gh", "ab?@cd.ef/gh", "ab@?cd.ef/gh", "ab@c?d.ef/gh", "ab@cd?.ef/gh",
		"ab@cd.?ef/gh", "ab@cd.ef?/gh", "ab@cd.ef/?gh", "ab@cd.ef/g?h", "ab@cd.ef/gh?", "?", "ab@?", "ab@cd/?", "ab@xy?-z.q"}
	for _, tpl := range templates {
		for c := range 256 {
			checkFast(t, strings.Replace(tpl, "?", string(rune(c)), 1)) // UTF-8 for c >= 0x80
			checkFast(t, strings.Replace(tpl, "?", string([]byte{byte(c)}), 1))
		}
	}
	for c := range 256 {
		b := string([]byte{byte(c)})
		checkNewFast(t, "a"+b, "b", "c")
		checkNewFast(t, "a", "b"+b, "c")
		checkNewFast(t, "a", "b", "c"+b)
		checkNewFast(t, b, "b", "")
		checkNewFast(t, "", b, "")
	}
}

// FuzzASCIIFastPath proves the fast path: for every input it takes, Parse's
// full path and jid.Parse give the same JID; and Parse, ParseFast and
// NewFast give what their full paths give for every input.
func FuzzASCIIFastPath(f *testing.F) {
	for _, s := range []string{"user@localhost/res", "Room@Conference.localhost/Nick", "xn--bcher-kva.ch", "a@b..c",
		"a@b.", "a@-b", "a@ab--cd", "1.2.3.4", "[::1]", "a@b/ ", "A@B/C", "a~!#$%^*()_+={}|[]\\;,.?`@b/\"&'<>:@/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkFast(t, s)
		want, wantErr := parseFull(s)
		got, err := Parse(s)
		if (err == nil) != (wantErr == nil) || (err == nil && !sameJID(got, want)) {
			t.Fatalf("Parse(%q) = %q, %v; full path %q, %v", s, got, err, want, wantErr)
		}
		want, wantErr = jid.Parse(s)
		got, err = ParseFast(s)
		if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) || (err == nil && !sameJID(got, want)) {
			t.Fatalf("ParseFast(%q) = %q, %v; jid.Parse %q, %v", s, got, err, want, wantErr)
		}
		local, rest, _ := strings.Cut(s, "\x00")
		domain, res, _ := strings.Cut(rest, "\x00")
		checkNewFast(t, local, domain, res)
	})
}

// BenchmarkParse compares Parse on the JIDs clients send with its full
// path, which runs PRECIS and IDNA three times.
func BenchmarkParse(b *testing.B) {
	for _, s := range []string{"room@conference.localhost", "juliet@localhost/balcony"} {
		b.Run("fast/"+s, func(b *testing.B) {
			for b.Loop() {
				if _, err := Parse(s); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("full/"+s, func(b *testing.B) {
			for b.Loop() {
				if _, err := parseFull(s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
