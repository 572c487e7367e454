package script

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// RunFile parses the script at path and runs it from a Go test, failing t
// with the full report when the script fails. With opts.Addr empty it runs
// against a fresh in-process server configured by opts.Server
// (DefaultServerConfig when nil); otherwise against the server at
// opts.Addr. With opts.Verbose the trace is logged; warnings always are.
func RunFile(t testing.TB, path string, opts Options) *Result {
	t.Helper()
	s, err := ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range s.Warnings {
		t.Log("warning: " + w.Error())
	}
	res := RunScript(t.Context(), s, opts)
	if opts.Verbose {
		t.Log("\n" + strings.Join(res.Trace, "\n"))
	}
	for _, w := range res.Warnings {
		t.Log("warning: " + w)
	}
	if !res.Passed() {
		t.Fatal("\n" + res.Failure.Error())
	}
	return res
}

// RunDir runs every .scs file of dir (recursively) as a subtest of t named
// after the file, and returns the number of scripts found. A folder
// without scripts fails t: a suite that runs nothing must not pass.
func RunDir(t *testing.T, dir string, opts Options) int {
	t.Helper()
	files, err := Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		rel, _ := filepath.Rel(dir, f)
		t.Run(rel, func(t *testing.T) {
			if opts.Addr == "" {
				t.Parallel()
			}
			RunFile(t, f, opts)
		})
	}
	return len(files)
}

// Files lists the .scs files under dir (recursively), sorted. Finding
// none is an error: a suite that runs nothing must not pass.
func Files(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".scs") {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("script: %w", err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("script: no .scs files in %s", dir)
	}
	sort.Strings(files)
	return files, nil
}
