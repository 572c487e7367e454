package intern

import (
	"strings"
	"testing"
	"unsafe"
)

// TestTable: every string put in is found, as the table's own copy (the
// same backing bytes), by bytes and by string; anything else is not,
// including prefixes, extensions and strings differing in one byte from
// one that is in.
func TestTable(t *testing.T) {
	in := strings.Fields(`message presence iq a x xmlns jabber:client
		http://jabber.org/protocol/muc http://jabber.org/protocol/muc#user http://jabber.org/protocol/muc#admin
		urn:xmpp:sid:0 urn:xmpp:mam:2 urn:xmpp:sm:3 ab abc abcd abcde`)
	tab := New(append(in, "", "iq")...) // the empty string and duplicates are ignored
	for _, s := range in {
		got, ok := tab.Lookup([]byte(s))
		if !ok || got != s {
			t.Errorf("Lookup(%q) = %q, %v", s, got, ok)
		}
		if got, ok := tab.LookupString(strings.Clone(s)); !ok || got != s {
			t.Errorf("LookupString(%q) = %q, %v", s, got, ok)
		}
	}
	for _, s := range []string{"", "m", "messag", "messages", "mEssage", "urn:xmpp:sid:1", "http://jabber.org/protocol/muc#owner",
		"abcdf", "b", "xmlnt", "http://jabber.org/protocol/mu"} {
		if got, ok := tab.Lookup([]byte(s)); ok {
			t.Errorf("Lookup(%q) = %q, found", s, got)
		}
	}
}

// TestShared: a lookup returns the string New was given, not a copy.
func TestShared(t *testing.T) {
	s := strings.Clone("presence")
	tab := New(s)
	got, _ := tab.Lookup([]byte("presence"))
	if unsafe.StringData(got) != unsafe.StringData(s) {
		t.Fatal("Lookup returned a copy")
	}
}

// TestFull: a table stays correct however its slots collide (every key
// of one length and first and last bytes would share a slot).
func TestFull(t *testing.T) {
	var in []string
	for c := 'a'; c <= 'z'; c++ {
		in = append(in, "abcd"+string(c)+"wxyz")
	}
	tab := New(in...)
	for _, s := range in {
		if got, ok := tab.Lookup([]byte(s)); !ok || got != s {
			t.Errorf("Lookup(%q) = %q, %v", s, got, ok)
		}
	}
	if _, ok := tab.Lookup([]byte("abcdAwxyz")); ok {
		t.Error("found a key not in the table")
	}
}

func BenchmarkLookup(b *testing.B) {
	tab := New(strings.Fields("message presence iq body to from id type jid role x item status code")...)
	keys := [][]byte{[]byte("presence"), []byte("x"), []byte("item"), []byte("jid"), []byte("role"), []byte("nomatch")}
	for b.Loop() {
		for _, k := range keys {
			tab.Lookup(k)
		}
	}
}
