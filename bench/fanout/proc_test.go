package fanout

import (
	"crypto/sha256"
	"os"
	"runtime"
	"testing"
)

// TestReadProcCPU checks that the CPU time of a process is read to better
// than a clock tick: work of well under 10 ms shows, and the count never
// goes back.
func TestReadProcCPU(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc is Linux's")
	}
	before, err := ReadProc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if before.RSS <= 0 {
		t.Fatalf("RSS %d", before.RSS)
	}
	// About 1 ms of hashing: below one tick of /proc/PID/stat.
	buf := make([]byte, 1<<20)
	for range 2 {
		sha256.Sum256(buf)
	}
	after, err := ReadProc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if after.CPU <= before.CPU {
		t.Fatalf("CPU %v then %v: work in between did not count", before.CPU, after.CPU)
	}
	if _, ok := processCPU(os.Getpid()); !ok {
		t.Fatal("no process CPU clock: CPU in clock ticks only")
	}
}
