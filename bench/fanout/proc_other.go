//go:build !linux

package fanout

import "time"

// processCPU is Linux's only: elsewhere ReadProc has no /proc either.
func processCPU(int) (time.Duration, bool) { return 0, false }
