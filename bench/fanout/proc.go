package fanout

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"
)

// ProcSample is a server process's resident memory and CPU time, read from
// /proc, so that servers written in Go, Lua and Erlang are measured alike.
type ProcSample struct {
	RSS int64         // resident set size, bytes (VmRSS)
	CPU time.Duration // user + system CPU time so far
}

// The CPU time comes from the process's CPU clock (clock_gettime on the
// clock of another process, Linux: nanoseconds as the scheduler accounts
// them, exited threads included) where the kernel lets us read it, and
// otherwise from /proc/PID/stat, counted in clock ticks: 10 ms, when a
// 1 room x 100 x 5 burst spends 80-100 ms, so that its CPU per 10k
// deliveries would move in steps of 2 ms.

// clockTick is USER_HZ, the unit of the times in /proc/PID/stat; it is 100
// on every Linux architecture Go supports.
const clockTick = 100

// ReadProc samples process pid (Linux only).
func ReadProc(pid int) (ProcSample, error) {
	var s ProcSample
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, fmt.Errorf("fanout: read process %d: %w", pid, err)
	}
	for _, line := range bytes.Split(status, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("VmRSS:")); ok {
			f := bytes.Fields(v)
			if len(f) > 0 {
				kib, err := strconv.ParseInt(string(f[0]), 10, 64)
				if err != nil {
					return s, fmt.Errorf("fanout: process %d VmRSS: %w", pid, err)
				}
				s.RSS = kib << 10
			}
		}
	}
	if cpu, ok := processCPU(pid); ok {
		s.CPU = cpu
		return s, nil
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, fmt.Errorf("fanout: read process %d: %w", pid, err)
	}
	// The command name (field 2) may hold spaces; fields count from the
	// last ')'.
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 {
		f := bytes.Fields(stat[i+1:])
		// f[0] is field 3 (state); utime and stime are fields 14 and 15.
		if len(f) > 12 {
			ut, err1 := strconv.ParseInt(string(f[11]), 10, 64)
			st, err2 := strconv.ParseInt(string(f[12]), 10, 64)
			if err1 != nil || err2 != nil {
				return s, fmt.Errorf("fanout: process %d: malformed stat", pid)
			}
			s.CPU = time.Duration(ut+st) * time.Second / clockTick
		}
	}
	return s, nil
}
