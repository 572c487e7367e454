package spec

import (
	"path/filepath"
	"testing"

	"github.com/muctest/muctest/internal/corpus"
	"github.com/muctest/muctest/script"
)

// The Prosody scripts below pin the work of muc and mod/pep, and ran in
// those packages' tests until issue 10: each set linked the script runner
// and the whole server (net/http, crypto/tls, every module) into a test
// binary that needs neither for its own tests (muc.test 15.6 -> 7.9 MB,
// about half a second of link CPU per package on every go test ./...).
// Here the runner and the server are linked already. (mod/register's
// scripts stay in its tests, which link the server anyway.)

// TestProsodyMUCScripts runs Prosody's MUC scripts, unchanged, against an
// in-process server: the conformance bar of package muc.
func TestProsodyMUCScripts(t *testing.T) {
	files := corpus.Scripts(t, "corpus/prosody", "muc_*.scs")
	corpusDir := filepath.Dir(files[0])
	for _, name := range []string{"issue505.scs", "issue978.scs", "issue1224.scs"} {
		files = append(files, filepath.Join(corpusDir, name))
	}
	runScripts(t, files)
}

// TestProsodyTrunkPEPScripts runs every PEP, pubsub and bookmarks script
// of Prosody trunk's suite, unchanged, against an in-process server (PEP
// in mod/pep, the pubsub component at pubsub.localhost): issue 12's bar.
func TestProsodyTrunkPEPScripts(t *testing.T) {
	var files []string
	for _, pattern := range []string{"pep_*.scs", "pubsub_*.scs", "bookmarks*.scs"} {
		files = append(files, corpus.Scripts(t, "corpus/prosody-trunk", pattern)...)
	}
	runScripts(t, files)
}

// runScripts runs each file as a parallel subtest named after it, with
// the runner's default options.
func runScripts(t *testing.T, files []string) {
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			script.RunFile(t, f, script.Options{})
		})
	}
}
