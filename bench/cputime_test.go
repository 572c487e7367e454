package bench

import (
	"syscall"
	"time"
)

// cpuTime is the process's user plus system CPU time (getrusage), for the
// CPU per script that BenchmarkCorpusInProcess reports beside the wall
// time: on a shared machine the wall time measures the neighbours too.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
