// Package spec holds muctest's own scansion scripts, one per feature of the
// server and the MUC service. This test runs them all, in the runner's
// strict mode (any stanza a script does not expect fails it), against an
// in-process server, so that `go test ./...` covers them.
package spec

import (
	"testing"

	"github.com/muctest/muctest/script"
)

func TestSpecScripts(t *testing.T) {
	if n := script.RunDir(t, ".", script.Options{Strict: true}); n == 0 {
		t.Fatal("no .scs script found in spec/: nothing was tested")
	}
}
