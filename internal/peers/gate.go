package peers

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// RunEnv is the environment variable that runs the tests behind Gate
// outside CI: MUCTEST_ACCEPTANCE=1.
const RunEnv = "MUCTEST_ACCEPTANCE"

// Enabled reports whether the tests behind Gate run, given the
// environment as getenv reads it: under CI=true (where .ci/run has
// installed every peer, and Need fails on a missing one) or when
// MUCTEST_ACCEPTANCE=1 asks for them.
func Enabled(getenv func(string) string) bool {
	return getenv("CI") == "true" || getenv(RunEnv) == "1"
}

// Gate is the one gate of the tests that spawn a real peer (slixmpp,
// xmpp.js, Chromium, mucd, Prosody): it skips t, saying how to run it,
// unless Enabled. Those tests mostly wait for their peers to start, log in
// and end, which a plain go test ./... (kept under 20 s) does not pay; CI
// sets CI=true and runs them all. Past the gate, Need decides whether a
// missing peer skips or fails.
func Gate(t testing.TB) {
	t.Helper()
	if Enabled(os.Getenv) {
		return
	}
	t.Skipf("spawns a real peer (slixmpp, xmpp.js, Chromium, mucd or Prosody) and mostly waits for it: "+
		"runs under CI=true or %s=1; run it with: %s=1 go test -run '^%s$' %s", RunEnv, RunEnv, t.Name(), packageArg())
}

// packageArg is the go test argument naming the package of the running
// test binary (whose working directory is the package's folder), relative
// to the module's root: ./acceptance/, or . when the root is not found.
func packageArg() string {
	dir, err := os.Getwd()
	if err != nil {
		return "."
	}
	for root := dir; ; {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			rel, err := filepath.Rel(root, dir)
			if err != nil {
				return "."
			}
			return fmt.Sprintf("./%s/", filepath.ToSlash(rel))
		} else if !errors.Is(err, os.ErrNotExist) {
			return "."
		}
		up := filepath.Dir(root)
		if up == root {
			return "."
		}
		root = up
	}
}
