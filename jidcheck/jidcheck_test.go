package jidcheck

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in, want string
		err      error
	}{
		{"User@LocalHost/Res", "user@localhost/Res", nil},
		{"x@a.", "x@a", nil}, // one trailing dot is stripped (RFC 7622 3.2)
		{"x@[::1]/r", "x@[::1]/r", nil},
		{"x@a..", "", ErrEmptyLabel},
		{"x@a..b", "", ErrEmptyLabel},
		{"x@.a", "", ErrEmptyLabel},
		{"ℵǵ", "", ErrUnstable}, // maps to Hebrew alef, then fails the bidi rule
		{strings.Repeat("a", 1023) + "@localhost", strings.Repeat("a", 1023) + "@localhost", nil},
		{strings.Repeat("a", 1024) + "@localhost", "", ErrTooLong},
		{"a@localhost/" + strings.Repeat("r", 1024), "", ErrTooLong},
		{"a@" + strings.Repeat("d", 1024), "", ErrTooLong},
		{strings.Repeat("\uff21", 240<<10), "", ErrTooLong}, // 720 KB of fullwidth A: refused unprepared
	}
	for _, tt := range tests {
		j, err := Parse(tt.in)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("Parse(%q) = %q, %v; want %v", tt.in, j, err, tt.err)
			}
			continue
		}
		if err != nil || j.String() != tt.want {
			t.Errorf("Parse(%q) = %q, %v; want %q", tt.in, j, err, tt.want)
		}
	}
}

// FuzzParse checks the package's promise: what Parse accepts is a fixed
// point, full and bare.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"user@localhost/res", "x@a..", "ℵǵ", "ß@straße.example/ß", "\u212B@x/\u212B", "a@b@c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		j, err := Parse(s)
		if err != nil {
			return
		}
		for _, form := range []string{j.String(), j.Bare().String()} {
			again, err := Parse(form)
			if err != nil || again.String() != form {
				t.Fatalf("Parse(%q) gave %q, which parses to %q, %v", s, form, again, err)
			}
		}
	})
}

func TestMapNothing(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"🤖\uFE0F", "🤖"},
		{"so\u00ADft", "soft"},
		{"a\u200Bb\u200Cc\u200Dd\u2060e\uFEFF", "abcde"},
		{"\u180B\u180C\u180D\u034F\u1806", ""},
		{"ß\uFE00x", "ßx"},
	}
	for _, tt := range tests {
		if got := MapNothing(tt.in); got != tt.want {
			t.Errorf("MapNothing(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCheckLength(t *testing.T) {
	long := strings.Repeat("x", MaxPartBytes+1)
	tests := []struct {
		in string
		ok bool
	}{
		{"", true},
		{"localhost", true},
		{long, false},
		{long + "@localhost", false},
		{"user@" + long, false},
		{"user@localhost/" + long, false},
		{"user@localhost/" + strings.Repeat("x", MaxPartBytes), true},
		// The resourcepart may hold '@' and '/': only the first '/' splits.
		{"user@localhost/a@b/" + strings.Repeat("x", MaxPartBytes-4), true},
		{"localhost/" + long[:MaxPartBytes] + "@x", false},
	}
	for _, tt := range tests {
		if err := CheckLength(tt.in); (err == nil) != tt.ok {
			t.Errorf("CheckLength(%d bytes %.20q...) = %v, want ok %v", len(tt.in), tt.in, err, tt.ok)
		}
	}
}

// BenchmarkParseLong is the cost of refusing a 240 KB JID: a length check,
// not PRECIS over the whole input.
func BenchmarkParseLong(b *testing.B) {
	s := strings.Repeat("\uff21", 80<<10) + "@localhost"
	for b.Loop() {
		if _, err := Parse(s); err == nil {
			b.Fatal("accepted")
		}
	}
}
