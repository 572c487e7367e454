//go:build linux

package c2s

import (
	"net"
	"syscall"
	"unsafe"
)

// unsentBytes returns how many bytes c's kernel send queue holds (the
// TIOCOUTQ ioctl: written but not yet acknowledged by the peer), or -1
// when c is not a socket.
func unsentBytes(c net.Conn) int {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return -1
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1
	}
	n := int32(-1)
	_ = rc.Control(func(fd uintptr) {
		if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCOUTQ, uintptr(unsafe.Pointer(&n))); errno != 0 {
			n = -1
		}
	})
	return int(n)
}

// unreadBytes returns how many bytes the kernel holds for c that no Read has
// taken yet (the TIOCINQ/FIONREAD ioctl), or 0 when c is not a socket.
func unreadBytes(c net.Conn) int {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return 0
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return 0
	}
	var n int32
	_ = rc.Control(func(fd uintptr) {
		if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCINQ, uintptr(unsafe.Pointer(&n))); errno != 0 {
			n = 0
		}
	})
	return int(n)
}
