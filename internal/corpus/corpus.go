// Package corpus finds, for tests, the reference material shared next to
// the repository and never copied into it: ../shared (relative to the
// repository root) holds Prosody's own scansion scripts
// (corpus/prosody, corpus/prosody-trunk).
//
// A test that needs it asks for it here rather than globbing a relative
// path itself, so that the rule is the same everywhere: when the material
// is missing the test skips on a developer's machine and FAILS under
// CI=true, where .ci/run is supposed to have put it in place; a directory
// that is there but holds no script fails everywhere (a test that runs
// zero scripts proves nothing). MUCTEST_SHARED names another shared
// directory (a git worktree has no ../shared next to it).
package corpus

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// SharedEnv is the environment variable that overrides where the shared
// directory is (by default ../shared from the repository root).
const SharedEnv = "MUCTEST_SHARED"

// Dir returns the path of sub (e.g. "corpus/prosody") inside the shared
// directory. When it is missing, Dir skips t, or fails it when CI=true.
func Dir(t testing.TB, sub string) string {
	t.Helper()
	dir, err := Find(sub)
	if err != nil {
		missing(t, err.Error())
	}
	return dir
}

// Scripts returns the files of the shared directory sub that match pattern
// (a filepath.Match pattern such as "muc_*.scs"), sorted. A missing sub
// skips t locally and fails it under CI=true (as Dir); no match fails t
// everywhere.
func Scripts(t testing.TB, sub, pattern string) []string {
	t.Helper()
	dir := Dir(t, sub)
	files, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		t.Fatalf("corpus: bad pattern %q: %v", pattern, err)
	}
	if len(files) == 0 {
		t.Fatalf("corpus: no %s in %s: the shared corpus is there but empty, the test would prove nothing", pattern, dir)
	}
	return files
}

// missing skips or, under CI, fails t.
func missing(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("corpus: %s (CI=true: the shared material must be there)", why)
	}
	t.Skipf("corpus: %s: skipped (set %s, or CI=true to make this a failure)", why, SharedEnv)
}

// Find returns the path of sub inside the shared directory, or why it is
// not there: for a use that needs no verdict (a fuzz target's seeds).
func Find(sub string) (string, error) {
	shared := os.Getenv(SharedEnv)
	if shared == "" {
		root, err := repoRoot()
		if err != nil {
			return "", err
		}
		shared = filepath.Join(root, "..", "shared")
	}
	dir := filepath.Join(shared, sub)
	fi, err := os.Stat(dir)
	if err != nil {
		return "", fmt.Errorf("%s is absent: %w", dir, err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("%s is not a directory", dir)
	}
	return dir, nil
}

// repoRoot is the nearest directory at or above the working directory (a
// test's package directory) that holds go.mod.
func repoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding the repository root: %w", err)
	}
	for dir := wd; ; {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod at or above %s", wd)
		}
		dir = parent
	}
}
