package fanout

import (
	"syscall"
	"time"
	"unsafe"
)

// processCPU reads the CPU clock of process pid: clock id
// MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED) of the kernel's
// posix-cpu-timers, what clock_getcpuclockid(3) returns.
func processCPU(pid int) (time.Duration, bool) {
	const cpuclockSched = 2
	clock := (^pid)<<3 | cpuclockSched
	var ts syscall.Timespec
	if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, uintptr(clock), uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}
