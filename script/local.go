package script

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
)

// The in-process server of RunInProcess takes its clients over a Unix
// socket in Linux's abstract namespace rather than over TCP on loopback:
// the server runs the same accept path, negotiation and sessions, but a
// write costs the kernel a copy into the peer's queue instead of a pass
// through the TCP stack, and a connection no handshake, which is about a
// fifth of a short script's CPU time (BenchmarkCorpusInProcess). Each
// client binds a name of its own, "@muctest-ID-N", and the server sees it
// as coming from 127.0.0.1, port N (localConn): everything it decides per
// remote address (connection caps, rates, authentication backoff, rooms
// and registrations per IP address) groups the script's clients as it does
// over loopback, and Server.ConnBytes finds each session by that address.
// StartInProcess keeps TCP: its address is for any client.

// localEligible reports whether s can run against an in-process server
// over a local socket: on Linux (abstract socket names), and unless a
// client of s names its own host or port (custom_host, custom_port), which
// are TCP addresses relative to the server's. Components connect over TCP
// either way.
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

// localListener accepts the runner's clients on an abstract Unix socket
// and hands the server each one as a localConn.
type localListener struct {
	*net.UnixListener
	name  string        // the listener's abstract name, "@muctest-ID"
	ports atomic.Uint32 // the last port given to a client
}

// localPortBase is the first port clients are numbered from: any value
// would do, since no TCP port is taken; one in the registered range reads
// like a loopback client's.
const localPortBase = 20000

// listenLocal listens on a fresh abstract name (random, so that runs in
// other processes do not collide; a name taken already is skipped).
func listenLocal() (*localListener, error) {
	var err error
	for range 4 {
		name := "@muctest-" + strings.ToLower(rand.Text()[:16])
		var ln *net.UnixListener
		if ln, err = net.ListenUnix("unix", &net.UnixAddr{Name: name, Net: "unix"}); err == nil {
			ln.SetUnlinkOnClose(false) // nothing in the file system
			l := &localListener{UnixListener: ln, name: name}
			l.ports.Store(localPortBase)
			return l, nil
		}
	}
	return nil, err
}

// Accept returns the next client as a localConn. A connection from a
// socket not bound to one of this listener's client names (some other
// local process) is closed: it has no address the server could use.
func (l *localListener) Accept() (net.Conn, error) {
	for {
		uc, err := l.AcceptUnix()
		if err != nil {
			return nil, err
		}
		if port, ok := l.port(uc.RemoteAddr()); ok {
			return &localConn{UnixConn: uc, remote: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}}, nil
		}
		_ = uc.Close()
	}
}

// port returns the port N of a client bound to l.name + "-N".
func (l *localListener) port(a net.Addr) (int, bool) {
	ua, ok := a.(*net.UnixAddr)
	if !ok {
		return 0, false
	}
	n, ok := strings.CutPrefix(ua.Name, l.name+"-")
	if !ok {
		return 0, false
	}
	port, err := strconv.Atoi(n)
	return port, err == nil && port > 0 && port < 1<<16
}

// dial connects a new client: it binds the next client name, so that the
// server sees 127.0.0.1:port, and returns the connection and that address
// (the key of Server.ConnBytes).
func (l *localListener) dial(ctx context.Context) (net.Conn, string, error) {
	port := int(l.ports.Add(1))
	if port >= 1<<16 {
		return nil, "", errors.New("script: out of local client addresses")
	}
	d := net.Dialer{LocalAddr: &net.UnixAddr{Name: l.name + "-" + strconv.Itoa(port), Net: "unix"}}
	c, err := d.DialContext(ctx, "unix", l.name)
	if err != nil {
		return nil, "", fmt.Errorf("dial %s: %w", l.name, err)
	}
	return c, net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), nil
}

// localConn is the server's end of a local client connection: the Unix
// connection itself (embedded, so that what the server looks for on it
// keeps working: SyscallConn for its poller and queue sizes, the gathered
// writes of net.Buffers), with the loopback address the client stands for.
type localConn struct {
	*net.UnixConn
	remote *net.TCPAddr
}

// RemoteAddr is the client's loopback address, 127.0.0.1:N.
func (c *localConn) RemoteAddr() net.Addr { return c.remote }
