//go:build !linux

package c2s

import "net"

// unreadBytes is only implemented on Linux; elsewhere WaitIdle cannot see
// bytes that arrived but were not read yet.
func unreadBytes(net.Conn) int { return 0 }

// unsentBytes is only implemented on Linux: elsewhere an overflowing
// session cannot tell a slow reader from one that does not read.
func unsentBytes(net.Conn) int { return -1 }
