package cputime

import (
	"runtime"
	"testing"
)

// TestClocksAdvance: spinning on one locked thread moves both clocks
// forward, and the thread's never past the process's.
func TestClocksAdvance(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the thread clock is Linux's")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	t0, p0 := Thread(), Process()
	if t0 <= 0 || p0 <= 0 {
		t.Fatalf("clocks at start: thread %v, process %v", t0, p0)
	}
	x := 0
	for Thread()-t0 < 5e6 { // 5 ms of this thread's CPU
		x++
	}
	t1, p1 := Thread(), Process()
	if t1-t0 < 5e6 || p1-p0 < t1-t0-1e6 {
		t.Fatalf("after 5 ms of spinning (%d rounds): thread +%v, process +%v", x, t1-t0, p1-p0)
	}
}
