package main

import (
	"context"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/muctest/muctest/script"
	"github.com/muctest/muctest/server"
)

// benchScripts are our spec/ and, when it is there, Prosody's corpus next
// to the repository (../shared, never copied in).
func benchScripts(b *testing.B) []*script.Script {
	b.Helper()
	var out []*script.Script
	for _, dir := range []string{"../../spec", "../../../shared/corpus/prosody"} {
		paths, _ := filepath.Glob(filepath.Join(dir, "*.scs"))
		sort.Strings(paths)
		for _, p := range paths {
			s, err := script.ParseFile(p)
			if err != nil {
				b.Fatal(err)
			}
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		b.Skip("no scripts")
	}
	return out
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkInProcessCPU runs every script one at a time against its own
// in-process server, as muctest does with -parallel 1, and reports the
// process CPU time (user + system, server and clients together) per
// script: "shared-cert" is the runner's configuration, "own-cert" a server
// that makes its certificate at start (script.DefaultServerConfig alone).
// Compare with benchstat; a measuring stick, not an assertion.
func BenchmarkInProcessCPU(b *testing.B) {
	scripts := benchScripts(b)
	for _, bc := range []struct {
		name string
		cfg  func() server.Config
	}{{"shared-cert", inProcessConfig}, {"own-cert", script.DefaultServerConfig}} {
		b.Run(bc.name, func(b *testing.B) {
			n := 0
			cpu0 := cpuTime()
			for b.Loop() {
				for _, s := range scripts {
					if r := script.RunInProcess(context.Background(), s, bc.cfg(), script.Options{}); !r.Passed() {
						b.Fatalf("%s: %v", s.Path, r.Failure)
					}
					n++
				}
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(n), "cpu-ms/script")
			b.ReportMetric(float64(len(scripts)), "scripts/op")
		})
	}
}
