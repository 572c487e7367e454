package connlimit

import (
	"net"
	"sync"
)

// tcpConn is an accepted TCP connection holding a slot. It embeds the
// *net.TCPConn itself rather than a net.Conn so that everything the net
// package and its users look for on the concrete type keeps working:
// SyscallConn (pollers, FIONREAD), SetReadBuffer, and the gathered
// writev(2) of net.Buffers, which the net package only does for its own
// connection types and those that embed them.
type tcpConn struct {
	*net.TCPConn
	release *releaser
}

func (c *tcpConn) Close() error {
	err := c.TCPConn.Close()
	c.release.do()
	return err
}

// otherConn is any other accepted connection (a Unix socket, a test
// listener's pipe) holding a slot.
type otherConn struct {
	net.Conn
	release *releaser
}

func (c *otherConn) Close() error {
	err := c.Conn.Close()
	c.release.do()
	return err
}

// releaser gives a slot back once, however many times and from however
// many goroutines the connection is closed.
type releaser struct {
	once sync.Once
	fn   func()
}

func (r *releaser) do() { r.once.Do(r.fn) }

func wrap(c net.Conn, release func()) net.Conn {
	r := &releaser{fn: release}
	if tc, ok := c.(*net.TCPConn); ok {
		return &tcpConn{TCPConn: tc, release: r}
	}
	return &otherConn{Conn: c, release: r}
}
