package pep_test

import (
	"path/filepath"
	"testing"

	"github.com/muctest/muctest/internal/corpus"
	"github.com/muctest/muctest/script"
)

// TestProsodyTrunkScripts runs every PEP, pubsub and bookmarks script of
// Prosody trunk's suite, unchanged, against an in-process server (PEP here,
// the pubsub component at pubsub.localhost): issue 12's bar.
func TestProsodyTrunkScripts(t *testing.T) {
	var files []string
	for _, pattern := range []string{"pep_*.scs", "pubsub_*.scs", "bookmarks*.scs"} {
		files = append(files, corpus.Scripts(t, "corpus/prosody-trunk", pattern)...)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			script.RunFile(t, f, script.Options{})
		})
	}
}
