//go:build !unix

package cputime

import "time"

// process is not measured outside Unix.
func process() time.Duration { return 0 }
