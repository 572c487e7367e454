package contactinfo

import "testing"

// TestSharedForm: servers with the same addresses get one form, equal to
// what Form builds; different addresses, however they are split into
// strings, get their own.
func TestSharedForm(t *testing.T) {
	cases := []map[string][]string{
		nil,
		{"admin": {"xmpp:a@localhost", "mailto:b@localhost"}},
		{"admin": {"xmpp:a@localhost" + "mailto:b@localhost"}},
		{"abuse": {"xmpp:a@localhost"}, "admin": {"mailto:b@localhost"}},
		{"abuse": {"xmpp:a@localhost", "mailto:b@localhost"}},
		{"admin": {"xmpp:a@localhost", "mailto:b@localhost"}, "other": {"ignored"}},
	}
	seen := map[string]int{}
	for i, addrs := range cases {
		f := sharedForm(addrs)
		if f != sharedForm(addrs) {
			t.Errorf("case %d: two servers got two forms", i)
		}
		if got, want := f.String(), Form(addrs).String(); got != want {
			t.Errorf("case %d: shared form %s, Form gives %s", i, got, want)
		}
		seen[f.String()] = i
	}
	// The last case reads as the second (Form ignores unknown kinds);
	// every other case is a form of its own.
	if len(seen) != len(cases)-1 {
		t.Errorf("%d distinct forms for %d cases, want %d", len(seen), len(cases), len(cases)-1)
	}
}
