package register_test

import (
	"path/filepath"
	"testing"

	"github.com/muctest/muctest/internal/corpus"
	"github.com/muctest/muctest/script"
)

// TestProsodyTrunkScripts runs, unchanged and in-process, the Prosody trunk
// scripts this package's work makes pass: account removal with tombstones,
// and the blocking script, which also needs the <delay/> on the presence a
// new subscriber is sent.
func TestProsodyTrunkScripts(t *testing.T) {
	dir := corpus.Dir(t, "corpus/prosody-trunk")
	for _, name := range []string{"tombstones.scs", "blocking.scs", "uptime.scs"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			script.RunFile(t, filepath.Join(dir, name), script.Options{})
		})
	}
}
