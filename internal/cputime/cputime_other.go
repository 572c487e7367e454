//go:build !linux

package cputime

import "time"

// thread is not measured outside Linux.
func thread() time.Duration { return 0 }
