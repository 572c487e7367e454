package connlimit

import (
	"net"
	"sync/atomic"
	"syscall"
)

// tcpConn is an accepted TCP connection holding a slot. It embeds the
// *net.TCPConn itself rather than a net.Conn so that everything the net
// package and its users look for on the concrete type keeps working:
// SyscallConn (pollers, FIONREAD), SetReadBuffer, and the gathered
// writev(2) of net.Buffers, which the net package only does for its own
// connection types and those that embed them.
type tcpConn struct {
	*net.TCPConn
	slot
}

func (c *tcpConn) Close() error {
	err := c.TCPConn.Close()
	c.free()
	return err
}

// sysConn is any other accepted connection on a file descriptor (a Unix
// socket, a listener's own type embedding one) holding a slot: it keeps
// SyscallConn, which the server's poller and its looks at the socket's
// queues need, as tcpConn does.
type sysConn struct {
	netSysConn
	slot
}

// netSysConn is a connection with a file descriptor.
type netSysConn interface {
	net.Conn
	syscall.Conn
}

func (c *sysConn) Close() error {
	err := c.netSysConn.Close()
	c.free()
	return err
}

// otherConn is any other accepted connection (a test listener's pipe)
// holding a slot.
type otherConn struct {
	net.Conn
	slot
}

func (c *otherConn) Close() error {
	err := c.Conn.Close()
	c.free()
	return err
}

// slot is the listener's slot a connection holds, given back once however
// many times and from however many goroutines the connection is closed.
// It lives in the connection rather than behind a closure, so that an
// accepted connection costs one allocation of 48 bytes rather than three
// of 72 in all (the wrapper, a sync.Once, the closure).
type slot struct {
	l     *Listener
	ip    string
	freed atomic.Bool
}

func (s *slot) free() {
	if s.freed.CompareAndSwap(false, true) {
		s.l.release(s.ip)
	}
}

func wrap(c net.Conn, l *Listener, ip string) net.Conn {
	if tc, ok := c.(*net.TCPConn); ok {
		return &tcpConn{TCPConn: tc, slot: slot{l: l, ip: ip}}
	}
	if sc, ok := c.(netSysConn); ok {
		return &sysConn{netSysConn: sc, slot: slot{l: l, ip: ip}}
	}
	return &otherConn{Conn: c, slot: slot{l: l, ip: ip}}
}
