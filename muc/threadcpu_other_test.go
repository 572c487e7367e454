//go:build !linux

package muc

import "time"

// threadCPU is not measured outside Linux: the cpu metrics read 0.
func threadCPU() time.Duration { return 0 }
