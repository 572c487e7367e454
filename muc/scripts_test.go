package muc_test

import (
	"path/filepath"
	"testing"

	"github.com/muctest/muctest/script"
)

// corpusDir holds Prosody's scansion scripts, shared next to the repository
// (never copied into it).
const corpusDir = "../../shared/corpus/prosody"

// TestProsodyMUCScripts runs Prosody's MUC scripts, unchanged, against an
// in-process server: the conformance bar of this package.
func TestProsodyMUCScripts(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(corpusDir, "muc_*.scs"))
	if len(files) == 0 {
		t.Skipf("no scripts in %s (the shared Prosody corpus is absent): skipped", corpusDir)
	}
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
