//go:build !linux

package netpoll

import "net"

// Unread is only implemented on Linux; elsewhere callers cannot see bytes
// that arrived but were not read yet, and it returns 0.
func Unread(net.Conn) int { return 0 }

// Unsent is only implemented on Linux; elsewhere it returns -1, and an
// overflowing session cannot tell a slow reader from one that does not read.
func Unsent(net.Conn) int { return -1 }

// Received is only implemented on Linux; elsewhere ok is false.
func Received(net.Conn) (n int64, ok bool) { return 0, false }
