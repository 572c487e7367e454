// Package cputime reads CPU clocks for the project's benchmarks. On a
// shared machine wall time measures the neighbours as much as the code, so
// the benchmarks that gate the issues (the router's locked spans, the
// runner's cost per script) report CPU time beside it: of the calling
// thread, for code a benchmark runs on one locked OS thread, or of the
// whole process.
package cputime

import "time"

// Thread is the CPU time the calling OS thread has used
// (CLOCK_THREAD_CPUTIME_ID on Linux, 0 elsewhere). With
// runtime.LockOSThread it is what a span of code in one goroutine costs,
// whatever else the machine runs meanwhile.
func Thread() time.Duration { return thread() }

// Process is the process's user plus system CPU time (getrusage on Unix,
// 0 elsewhere).
func Process() time.Duration { return process() }
