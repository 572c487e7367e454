package connlimit

import (
	"errors"
	"net"
	"syscall"
	"testing"
)

// fakeListener returns the queued errors and connections in order, then
// net.ErrClosed.
type fakeListener struct {
	items []any // error or net.Conn
}

func (f *fakeListener) Accept() (net.Conn, error) {
	if len(f.items) == 0 {
		return nil, net.ErrClosed
	}
	it := f.items[0]
	f.items = f.items[1:]
	if err, ok := it.(error); ok {
		return nil, err
	}
	return it.(net.Conn), nil
}
func (f *fakeListener) Close() error   { return nil }
func (f *fakeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

// fakeConn is a connection from ip that records Close.
type fakeConn struct {
	net.Conn
	ip     string
	closed int
}

func (c *fakeConn) RemoteAddr() net.Addr { return &net.TCPAddr{IP: net.ParseIP(c.ip), Port: 1234} }
func (c *fakeConn) Close() error         { c.closed++; return nil }

func TestAcceptRetriesTemporaryErrors(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM} {
		t.Run(errno.Error(), func(t *testing.T) {
			c := &fakeConn{ip: "192.0.2.1"}
			opErr := &net.OpError{Op: "accept", Net: "tcp", Err: errno}
			l := New(&fakeListener{items: []any{opErr, opErr, c}}, Config{MaxConns: 10, MaxPerIP: 10})
			got, err := l.Accept()
			if err != nil {
				t.Fatalf("Accept = %v, want the connection after the errors", err)
			}
			if got.RemoteAddr().String() != c.RemoteAddr().String() {
				t.Fatalf("Accept returned %v", got.RemoteAddr())
			}
			if _, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
				t.Fatalf("second Accept = %v, want net.ErrClosed", err)
			}
		})
	}
}

func TestAcceptStopsOnPermanentError(t *testing.T) {
	bad := errors.New("listener broken")
	l := New(&fakeListener{items: []any{bad, &fakeConn{ip: "192.0.2.1"}}}, Config{})
	if _, err := l.Accept(); !errors.Is(err, bad) {
		t.Fatalf("Accept = %v, want %v", err, bad)
	}
}

func TestCaps(t *testing.T) {
	tests := []struct {
		name               string
		maxConns, maxPerIP int
		ips                []string
		want               []Reason // per connection: 0 accepted
	}{
		{"global", 2, 10, []string{"192.0.2.1", "192.0.2.2", "192.0.2.3"}, []Reason{0, 0, TooManyConns}},
		{"per ip", 10, 2, []string{"192.0.2.1", "192.0.2.1", "192.0.2.2", "192.0.2.1"}, []Reason{0, 0, 0, TooManyFromIP}},
		{"global before per ip", 2, 1, []string{"192.0.2.1", "192.0.2.2", "192.0.2.1"}, []Reason{0, 0, TooManyConns}},
		{"no caps", -1, -1, []string{"192.0.2.1", "192.0.2.1", "192.0.2.1"}, []Reason{0, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var items []any
			var conns []*fakeConn
			for _, ip := range tt.ips {
				c := &fakeConn{ip: ip}
				conns = append(conns, c)
				items = append(items, c)
			}
			var refused []Reason
			var refusedConns []net.Conn
			l := New(&fakeListener{items: items}, Config{MaxConns: tt.maxConns, MaxPerIP: tt.maxPerIP,
				Refuse: func(c net.Conn, why Reason) { refused = append(refused, why); refusedConns = append(refusedConns, c) }})
			var accepted []net.Conn
			for {
				c, err := l.Accept()
				if err != nil {
					break
				}
				accepted = append(accepted, c)
			}
			var wantRefused []Reason
			nAccepted := 0
			for i, w := range tt.want {
				if w == 0 {
					nAccepted++
					if conns[i].closed != 0 {
						t.Errorf("connection %d closed, want accepted", i)
					}
				} else {
					wantRefused = append(wantRefused, w)
					if conns[i].closed != 1 {
						t.Errorf("connection %d: closed %d times, want refused and closed once", i, conns[i].closed)
					}
				}
			}
			if len(accepted) != nAccepted || len(refused) != len(wantRefused) {
				t.Fatalf("accepted %d refused %v, want %d and %v", len(accepted), refused, nAccepted, wantRefused)
			}
			for i := range refused {
				if refused[i] != wantRefused[i] {
					t.Errorf("refusal %d: %v, want %v", i, refused[i], wantRefused[i])
				}
			}
			if l.Open() != nAccepted {
				t.Errorf("Open = %d, want %d", l.Open(), nAccepted)
			}
			for _, c := range accepted {
				_ = c.Close()
				_ = c.Close() // a second Close must not release twice
			}
			if l.Open() != 0 || len(l.perIP) != 0 {
				t.Errorf("after closing: Open = %d, perIP = %v, want empty", l.Open(), l.perIP)
			}
		})
	}
}

// TestSlotComesBack fills the per-IP cap on a real loopback listener,
// closes one connection, and checks that the next connection is accepted.
func TestSlotComesBack(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := make(chan Reason, 10)
	l := New(inner, Config{MaxPerIP: 1, Refuse: func(_ net.Conn, why Reason) { refused <- why }})
	defer l.Close()
	dial := func() net.Conn {
		c, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	dial()
	first, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := first.(interface {
		SyscallConn() (syscall.RawConn, error)
	}); !ok {
		t.Fatalf("accepted %T hides the TCP connection's SyscallConn", first)
	}
	dial() // over the cap
	accepted := make(chan net.Conn)
	go func() {
		c, err := l.Accept()
		if err == nil {
			accepted <- c
		}
		close(accepted)
	}()
	if why := <-refused; why != TooManyFromIP {
		t.Fatalf("second connection refused with %v, want %v", why, TooManyFromIP)
	}
	_ = first.Close()
	dial() // after the first closed: within the cap again
	c, ok := <-accepted
	if !ok {
		t.Fatal("third connection not accepted after the first closed")
	}
	_ = c.Close()
}

func TestDefaultMaxConns(t *testing.T) {
	n := DefaultMaxConns()
	if limit := nofile(); limit > 0 && (n >= limit || n < 1) {
		t.Fatalf("DefaultMaxConns = %d with RLIMIT_NOFILE %d: want headroom below the limit", n, limit)
	}
}
