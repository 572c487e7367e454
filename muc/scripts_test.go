package muc_test

import (
	"path/filepath"
	"testing"

	"github.com/muctest/muctest/internal/corpus"
	"github.com/muctest/muctest/script"
)

// TestProsodyMUCScripts runs Prosody's MUC scripts, unchanged, against an
// in-process server: the conformance bar of this package.
func TestProsodyMUCScripts(t *testing.T) {
	files := corpus.Scripts(t, "corpus/prosody", "muc_*.scs")
	corpusDir := filepath.Dir(files[0])
	for _, name := range []string{"issue505.scs", "issue978.scs", "issue1224.scs"} {
		files = append(files, filepath.Join(corpusDir, name))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			script.RunFile(t, f, script.Options{})
		})
	}
}
