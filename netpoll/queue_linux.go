//go:build linux

package netpoll

import (
	"net"
	"syscall"
	"unsafe"
)

// Unread returns how many bytes the kernel holds for c that no Read has
// taken yet (the TIOCINQ ioctl), or 0 when c is not a socket. Servers use it
// to tell an idle connection from one whose next stanza is already waiting,
// which is what lets a test wait for quiet without sleeping.
func Unread(c net.Conn) int {
	n := queued(c, syscall.TIOCINQ)
	if n < 0 {
		return 0
	}
	return n
}

// Unsent returns how many bytes c's kernel send queue holds (the TIOCOUTQ
// ioctl: written but not yet acknowledged by the peer), or -1 when c is not
// a socket. A server whose outbound queue overflows uses it to tell a slow
// reader from one that does not read at all.
func Unsent(c net.Conn) int { return queued(c, syscall.TIOCOUTQ) }

// queued runs the ioctl req on c's descriptor; -1 when c has none or the
// ioctl fails.
func queued(c net.Conn, req uintptr) int {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return -1
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1
	}
	n := int32(-1)
	if err := rc.Control(func(fd uintptr) {
		if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, fd, req, uintptr(unsafe.Pointer(&n))); errno != 0 {
			n = -1
		}
	}); err != nil {
		return -1
	}
	return int(n)
}
