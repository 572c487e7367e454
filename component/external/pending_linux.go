//go:build linux

package external

import (
	"net"
	"syscall"
	"unsafe"
)

// unreadBytes returns how many bytes the kernel holds for c that no Read
// has taken yet (the TIOCINQ ioctl), or 0 when c is not a socket.
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
