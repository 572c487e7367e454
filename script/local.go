package script

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
)

// The in-process server of RunInProcess takes its clients over Unix
// socket pairs instead of TCP connections on loopback: the server runs
// the same accept loop (Server.Serve on a listener whose Accept hands it
// the pairs' server ends), caps, negotiation and sessions, but a client
// costs one socketpair(2) instead of a listening socket, a connect and an
// accept, and a write a copy into the peer's queue instead of a pass
// through the TCP stack: about a quarter of a short script's CPU time
// (BenchmarkCorpusInProcess). The server sees each client as 127.0.0.1
// with a port of its own (localConn's addresses), so that everything it
// decides per remote address (connection caps, rates, authentication
// backoff, rooms and registrations per IP address) groups the script's
// clients as it does over loopback, and Server.ConnBytes finds each
// session by that address. Nothing else can connect: there is no address
// to dial. StartInProcess keeps TCP, whose address is for any client.

// localEligible reports whether s can run against an in-process server
// over local socket pairs: on Linux, and unless a client of s names its
// own host or port (custom_host, custom_port), which are TCP addresses
// relative to the server's. Components connect over TCP either way.
func localEligible(s *Script) bool {
	if runtime.GOOS != "linux" {
		return false
	}
	for _, c := range s.Clients {
		if !c.Component && (c.Host != "" || c.Port != 0) {
			return false
		}
	}
	return true
}

// localListener is the server's listener for the runner's socket pairs:
// dial makes a pair and queues its server end for Accept.
type localListener struct {
	mu     sync.Mutex
	closed bool
	conns  chan net.Conn // server ends not yet accepted
	done   chan struct{} // closed by Close
	ports  atomic.Uint32 // the last port given to a client
}

// localPortBase is the first port clients are numbered from: no TCP port
// is taken, any value would do; one in the registered range reads like a
// loopback client's.
const localPortBase = 20000

// localServerAddr is the server's end of every pair: where a loopback
// client would have connected.
var localServerAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5222}

// maxLocalPending bounds the pairs made and not yet accepted: the runner
// dials one client at a time, and waits for its login.
const maxLocalPending = 16

func newLocalListener() *localListener {
	l := &localListener{conns: make(chan net.Conn, maxLocalPending), done: make(chan struct{})}
	l.ports.Store(localPortBase)
	return l
}

// Accept returns the server end of the next pair dial made.
func (l *localListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops Accept and closes the server ends it did not take.
func (l *localListener) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	close(l.done)
	for {
		select {
		case c := <-l.conns:
			c.Close()
		default:
			return nil
		}
	}
}

// Addr names the listener in messages; nothing can dial it.
func (l *localListener) Addr() net.Addr { return localAddr{} }

// localAddr is localListener's Addr.
type localAddr struct{}

func (localAddr) Network() string { return "unix" }
func (localAddr) String() string  { return "in-process" }

// dial makes a socket pair for a new client, queues its server end for
// Accept and returns the client's end with the address the server sees
// it from (the key of Server.ConnBytes).
func (l *localListener) dial() (net.Conn, string, error) {
	port := int(l.ports.Add(1))
	if port >= 1<<16 {
		return nil, "", errors.New("script: out of local client addresses")
	}
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, "", fmt.Errorf("script: socketpair: %w", os.NewSyscallError("socketpair", err))
	}
	remote := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}
	client := newLocalConn(fds[0], "client", remote, localServerAddr)
	server := newLocalConn(fds[1], "server", localServerAddr, remote)
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		select {
		case l.conns <- server:
			return client, remote.String(), nil
		default:
		}
	}
	client.Close()
	server.Close()
	if l.closed {
		return nil, "", fmt.Errorf("script: dial the in-process server: %w", net.ErrClosed)
	}
	return nil, "", errors.New("script: dial the in-process server: too many connections waiting to be accepted")
}

// localConn is one end of a socket pair as a net.Conn: the descriptor in
// an *os.File (the runtime's poller serves its reads, writes and
// deadlines, and SyscallConn what the server's poller and its looks at
// the socket's queues need), with loopback addresses, the half-close of a
// dropped client, and errors as the net package words them (a read on a
// connection closed under it is net.ErrClosed, a timeout an *OpError),
// so that the server tells them apart as over TCP.
type localConn struct {
	*os.File
	local, remote net.Addr
}

func newLocalConn(fd int, name string, local, remote net.Addr) *localConn {
	return &localConn{File: os.NewFile(uintptr(fd), name), local: local, remote: remote}
}

func (c *localConn) Read(b []byte) (int, error) {
	n, err := c.File.Read(b)
	return n, c.opError("read", err)
}

func (c *localConn) Write(b []byte) (int, error) {
	n, err := c.File.Write(b)
	return n, c.opError("write", err)
}

func (c *localConn) Close() error { return c.opError("close", c.File.Close()) }

// LocalAddr and RemoteAddr are the loopback addresses the pair stands for.
func (c *localConn) LocalAddr() net.Addr  { return c.local }
func (c *localConn) RemoteAddr() net.Addr { return c.remote }

// CloseWrite shuts the pair's writing side, as TCP's half-close: the peer
// reads the end of the stream.
func (c *localConn) CloseWrite() error {
	return c.control("shutdown", func(fd int) error { return syscall.Shutdown(fd, syscall.SHUT_WR) })
}

// SetReadBuffer sets the socket's receive buffer (SO_RCVBUF), as the net
// package's connections do.
func (c *localConn) SetReadBuffer(n int) error {
	return c.control("setsockopt", func(fd int) error {
		return syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUF, n)
	})
}

// control runs f on the descriptor.
func (c *localConn) control(op string, f func(fd int) error) error {
	rc, err := c.File.SyscallConn()
	if err != nil {
		return c.opError(op, err)
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = f(int(fd)) }); err != nil {
		return c.opError(op, err)
	}
	return c.opError(op, os.NewSyscallError(op, ferr))
}

// opError words err as the net package would: nil and io.EOF stay, the
// file's closed error is net.ErrClosed, and the rest an *net.OpError
// around the cause (a deadline's os.ErrDeadlineExceeded, a syscall's
// errno).
func (c *localConn) opError(op string, err error) error {
	if err == nil || err == io.EOF {
		return err
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	if errors.Is(err, os.ErrClosed) {
		err = net.ErrClosed
	}
	return &net.OpError{Op: op, Net: "unix", Source: c.local, Addr: c.remote, Err: err}
}
