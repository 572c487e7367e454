// The benchmarks of package bench/fanout's external test package (formerly
// package bench, a test-only package whose binary `go test ./...` linked
// only to run nothing): the scansion script suite in-process and against a
// real Prosody, MUC fan-out through the same engine as cmd/mucbench, and a
// room occupant's memory. They are measuring sticks, never timed
// assertions: run them with `go test -run XXX -bench . ./bench/...`, or run
// bench/compare.sh for the side-by-side table with Prosody and ejabberd.
package fanout_test

import (
	"github.com/muctest/muctest/internal/cputime"

	"context"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"testing"

	"github.com/muctest/muctest/internal/corpus"
	"github.com/muctest/muctest/script"
)

// prosodyAddrEnv names the environment variable that points the Prosody
// variant at a running Prosody 0.12 started with the reference config
// (../shared/reference/prosody/start.sh PORT DIR).
const prosodyAddrEnv = "MUCTEST_PROSODY"

// loadCorpus parses the scripts the suite benchmark runs: our own spec/
// and Prosody's scansion scripts, which live outside the repository and
// are never copied into it (package corpus: skipped when absent, failed
// under CI=true).
func loadCorpus(b *testing.B) []*script.Script {
	b.Helper()
	spec, err := filepath.Glob("../../spec/*.scs")
	if err != nil || len(spec) == 0 {
		b.Fatalf("no scripts in ../../spec: %v", err)
	}
	var scripts []*script.Script
	for _, paths := range [][]string{spec, corpus.Scripts(b, "corpus/prosody", "*.scs")} {
		sort.Strings(paths)
		for _, p := range paths {
			s, err := script.ParseFile(p)
			if err != nil {
				b.Fatalf("parse: %v", err)
			}
			scripts = append(scripts, s)
		}
	}
	return scripts
}

// BenchmarkCorpusInProcess runs the whole corpus against in-process
// servers, one fresh server per script (its start included), the way
// `muctest spec ../shared/corpus/prosody` does: "parallel" with
// GOMAXPROCS scripts at once (muctest's default), "sequential" one at a
// time. One op is the whole corpus.
func BenchmarkCorpusInProcess(b *testing.B) {
	scripts := loadCorpus(b)
	for _, bc := range []struct {
		name    string
		workers int
	}{{"parallel", runtime.GOMAXPROCS(0)}, {"sequential", 1}} {
		b.Run(bc.name, func(b *testing.B) {
			run := func(s *script.Script) *script.Result {
				return script.RunInProcess(context.Background(), s, script.DefaultServerConfig(), script.Options{})
			}
			benchCorpus(b, scripts, bc.workers, run)
		})
	}
}

// BenchmarkCorpusProsody runs the same scripts one at a time against the
// Prosody named by $MUCTEST_PROSODY (host:port), the baseline of the
// "in-process is at least 20x faster" target. Prosody keeps state between
// scripts, so results after the first iteration may differ; compare.sh
// therefore times a single run against a fresh Prosody with cmd/muctest.
func BenchmarkCorpusProsody(b *testing.B) {
	addr := os.Getenv(prosodyAddrEnv)
	if addr == "" {
		b.Skipf("set %s=host:port of a Prosody started with ../shared/reference/prosody/start.sh", prosodyAddrEnv)
	}
	scripts := loadCorpus(b)
	benchCorpus(b, scripts, 1, func(s *script.Script) *script.Result {
		return script.Run(context.Background(), s, script.Options{Addr: addr})
	})
}

// benchCorpus times run over every script with the given number of
// workers and reports the scripts per op and the failures, which it logs
// once: a failing script is timed too, but makes the number suspect.
func benchCorpus(b *testing.B, scripts []*script.Script, workers int, run func(*script.Script) *script.Result) {
	var failed []string
	cpu0, runs := cputime.Process(), 0
	for b.Loop() {
		runs += len(scripts)
		failed = failed[:0]
		var mu sync.Mutex
		next := make(chan *script.Script)
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for s := range next {
					if r := run(s); !r.Passed() {
						mu.Lock()
						failed = append(failed, s.Path)
						mu.Unlock()
					}
				}
			}()
		}
		for _, s := range scripts {
			next <- s
		}
		close(next)
		wg.Wait()
	}
	b.ReportMetric(float64(len(scripts)), "scripts/op")
	b.ReportMetric(float64(len(failed)), "failed/op")
	b.ReportMetric(float64((cputime.Process()-cpu0).Microseconds())/float64(max(runs, 1)), "cpu-µs/script")
	if len(failed) > 0 {
		sort.Strings(failed)
		b.Logf("%d of %d scripts failed in the last iteration: %v", len(failed), len(scripts), failed)
	}
}
