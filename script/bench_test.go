package script

import (
	"github.com/muctest/muctest/internal/cputime"

	"context"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/muctest/muctest/internal/corpus"
)

// benchDirs are the scripts BenchmarkCorpusInProcess runs: our spec/ and
// Prosody's corpus (outside the repository, never copied into it).
// MUCTEST_SHARED (package internal/corpus) overrides the shared folder, for worktrees that do not sit
// next to ../shared.
func benchDirs(b *testing.B) []string {
	return []string{"../spec", corpus.Dir(b, "corpus/prosody")}
}

// BenchmarkCorpusInProcess runs every script one at a time, each against a
// fresh in-process server (its start included), as `muctest` does; it
// reports the wall time and the CPU time (user+system, the whole process)
// per script. One op is the whole corpus.
//
// On a shared machine only interleaved runs compare: build the test binary
// of each tree (go test -c -o /tmp/X.test ./script) and run them in turn,
// A B A B, from each tree's script folder (-test.run XXX -test.bench
// 'CorpusInProcess$' -test.benchtime 20x), keeping the median and the best
// of each. Issue 15's goal is 1 ms of CPU per script or less.
func BenchmarkCorpusInProcess(b *testing.B) {
	var scripts []*Script
	for _, dir := range benchDirs(b) {
		paths, _ := filepath.Glob(filepath.Join(dir, "*.scs"))
		if len(paths) == 0 {
			b.Skipf("no scripts in %s", dir)
		}
		sort.Strings(paths)
		for _, p := range paths {
			s, err := ParseFile(p)
			if err != nil {
				b.Fatal(err)
			}
			scripts = append(scripts, s)
		}
	}
	cpu0 := cputime.Process()
	start := time.Now()
	n := 0
	for b.Loop() {
		for _, s := range scripts {
			if r := RunInProcess(context.Background(), s, DefaultServerConfig(), Options{}); !r.Passed() {
				b.Fatalf("%s failed:\n%s", s.Path, r.Failure)
			}
			n++
		}
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/float64(n), "µs/script")
	b.ReportMetric(float64((cputime.Process()-cpu0).Microseconds())/float64(n), "cpu-µs/script")
	b.ReportMetric(float64(len(scripts)), "scripts/op")
}

// BenchmarkParseCorpus is the parse side alone: ParseFile over the corpus.
func BenchmarkParseCorpus(b *testing.B) {
	var paths []string
	for _, dir := range benchDirs(b) {
		p, _ := filepath.Glob(filepath.Join(dir, "*.scs"))
		paths = append(paths, p...)
	}
	if len(paths) == 0 {
		b.Skip("no scripts")
	}
	for b.Loop() {
		for _, p := range paths {
			if _, err := ParseFile(p); err != nil {
				b.Fatal(err)
			}
		}
	}
}
