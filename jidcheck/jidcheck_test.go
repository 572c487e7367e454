package jidcheck

import (
	"errors"
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
