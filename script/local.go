package script

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"

	"github.com/muctest/muctest/internal/memconn"
)

// The in-process server of RunInProcess takes its clients over in-memory
// connection pairs (package internal/memconn) instead of TCP connections
// on loopback: the server runs the same accept loop (Server.Serve on a
// listener whose Accept hands it the pairs' server ends), caps,
// negotiation and sessions, but a client costs no descriptor, connect or
// accept, and a write is a copy into the peer's buffer with no system
// call or poller wake-up. Unix socket pairs before them cost a fifth of a
// script's CPU time in read(2), write(2), socketpair(2) and epoll_ctl(2)
// (BenchmarkCorpusInProcess). A pair is bounded as a socket is (a writer
// waits while its peer's buffer is full) and has deadlines and the
// half-close, so the server's timeouts and slow-reader protections work on
// it as on TCP; having no descriptor, a session on it never parks (its
// goroutine waits in Read) and the server cannot look into its queues
// (Session.Pending): the runner settles with the byte counts
// (Server.WaitSettled, WaitRead) instead. The server sees each client as
// 127.0.0.1 with a port of its own (the pair's addresses), so that
// everything it decides per remote address (connection caps, rates,
// authentication backoff, rooms and registrations per IP address) groups
// the script's clients as it does over loopback, and Server.ConnBytes
// finds each session by that address. Nothing else can connect: there is
// no address to dial. StartInProcess keeps TCP, whose address is for any
// client.

// localEligible reports whether s can run against an in-process server
// over in-memory pairs: unless a client of s names its
// own host or port (custom_host, custom_port), which are TCP addresses
// relative to the server's. Components connect over TCP either way.
func localEligible(s *Script) bool {
	for _, c := range s.Clients {
		if !c.Component && (c.Host != "" || c.Port != 0) {
			return false
		}
	}
	return true
}

// localListener is the server's listener for the runner's pairs:
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

// dial makes a pair for a new client, queues its server end for
// Accept and returns the client's end with the address the server sees
// it from (the key of Server.ConnBytes).
func (l *localListener) dial() (net.Conn, string, error) {
	port := int(l.ports.Add(1))
	if port >= 1<<16 {
		return nil, "", errors.New("script: out of local client addresses")
	}
	remote := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}
	client, server := memconn.Pair(remote, localServerAddr, 0)
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
