package mam

import (
	"strconv"
	"testing"

	"github.com/muctest/muctest/archive"
	"github.com/muctest/muctest/xmlnode"
)

// TestJIDListBounded checks that a preference list keeps at most
// maxPrefsJIDs JIDs and looks at no more <jid/> children than that, valid
// or not (invalid ones are skipped, as Prosody does).
func TestJIDListBounded(t *testing.T) {
	for _, tc := range []struct {
		name           string
		valid, invalid int // in that order: invalid ones first
		want           int
	}{
		{"few", 3, 0, 3},
		{"at the bound", maxPrefsJIDs, 0, maxPrefsJIDs},
		{"past the bound", maxPrefsJIDs + 10, 0, maxPrefsJIDs},
		{"invalid ones count", 10, maxPrefsJIDs, 0},
		{"invalid then valid", 10, 5, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := xmlnode.New(archive.NS, "always")
			for range tc.invalid {
				e.AddChild(archive.NS, "jid").SetText("@")
			}
			for i := range tc.valid {
				e.AddChild(archive.NS, "jid").SetText("u" + strconv.Itoa(i) + "@example.com")
			}
			if got := len(jidList(e)); got != tc.want {
				t.Errorf("kept %d JIDs, want %d", got, tc.want)
			}
		})
	}
}
