//go:build linux

package netpoll

import (
	"encoding/binary"
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

// Received returns how many bytes c's socket has received in order from the
// peer since it was opened (tcpi_bytes_received from TCP_INFO, Linux 4.1),
// whether read yet or not; ok is false when c is not a TCP socket or the
// kernel does not say. Compared with a count of the bytes a reader has
// taken, it closes the window Unread leaves open: bytes a Read has just
// taken from the kernel but whose reader has not yet counted them.
func Received(c net.Conn) (n int64, ok bool) {
	sc, isSys := c.(syscall.Conn)
	if !isSys {
		return 0, false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return 0, false
	}
	// struct tcp_info: 8 bytes of u8 fields and bitfields, 24 u32 fields,
	// then pacing_rate, max_pacing_rate, bytes_acked and bytes_received.
	const offBytesReceived = 8 + 24*4 + 3*8
	var info [offBytesReceived + 8 + 64]byte
	size := uint32(len(info))
	var errno syscall.Errno
	if err := rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall6(syscall.SYS_GETSOCKOPT, fd, syscall.IPPROTO_TCP, syscall.TCP_INFO,
			uintptr(unsafe.Pointer(&info[0])), uintptr(unsafe.Pointer(&size)), 0)
	}); err != nil || errno != 0 || size < offBytesReceived+8 {
		return 0, false
	}
	return int64(binary.NativeEndian.Uint64(info[offBytesReceived:])), true
}
