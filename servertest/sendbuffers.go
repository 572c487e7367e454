package servertest

import "net"

// SendBuffers wraps ln so that every TCP connection it accepts has a
// kernel send buffer of bytes (Linux doubles it for its bookkeeping)
// instead of the megabytes its autotuning allows on loopback. A test of
// what a server does with a client that stops reading (write timeouts,
// queue limits, a bounded shutdown) then fills the socket with kilobytes
// rather than a flood of megabytes. Give it to server.Server.Start.
func SendBuffers(ln net.Listener, bytes int) net.Listener {
	return sendBuffers{ln, bytes}
}

type sendBuffers struct {
	net.Listener
	bytes int
}

func (l sendBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(l.bytes)
	}
	return c, err
}
