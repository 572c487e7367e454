package router

import "testing"

func TestParseJID(t *testing.T) {
	tests := []struct {
		in, want string
		err      bool
	}{
		{"user@localhost", "user@localhost", false},
		{"User@LOCALHOST/Res", "user@localhost/Res", false},
		{"room@conference.localhost/🤖\uFE0F", "room@conference.localhost/🤖", false},
		{"a\u200Bb@localhost", "ab@localhost", false},
		{"@localhost", "", true},
		{"a@b@c", "", true},
		{"", "", true},
	}
	for _, tc := range tests {
		j, err := parseJID(tc.in)
		if tc.err {
			if err == nil {
				t.Errorf("parseJID(%q) = %s, want an error", tc.in, j)
			}
			continue
		}
		if err != nil || j.String() != tc.want {
			t.Errorf("parseJID(%q) = %q, %v; want %q", tc.in, j, err, tc.want)
		}
	}
}

func FuzzParseJID(f *testing.F) {
	f.Add("user@localhost/res")
	f.Add("room@conference.localhost/🤖\uFE0F")
	f.Fuzz(func(t *testing.T, s string) {
		j, err := parseJID(s)
		if err == nil && j.Domainpart() == "" {
			t.Fatalf("parseJID(%q) = %q without a domain", s, j)
		}
	})
}
