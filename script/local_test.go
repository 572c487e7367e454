package script

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// TestLocalListener checks the in-memory pairs' listener: each dialled
// client reaches the server as 127.0.0.1 with a port of its own, the one
// dial returns; the server's end reads what the client wrote and the end
// of the stream after the client's half-close, and words its errors as the net package
// does (a timeout, a read on a connection closed under it); Close closes
// the server ends not yet accepted, and a dial after it fails.
func TestLocalListener(t *testing.T) {
	ln := newLocalListener()
	defer ln.Close()
	seen := map[string]bool{}
	for range 2 {
		c, addr, err := ln.dial()
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		sc, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		defer sc.Close()
		ta, ok := sc.RemoteAddr().(*net.TCPAddr)
		if !ok || !ta.IP.Equal(net.IPv4(127, 0, 0, 1)) || sc.RemoteAddr().String() != addr || c.LocalAddr().String() != addr {
			t.Fatalf("server sees %v (%T), client is %v, dial returned %s: want the same 127.0.0.1 address", sc.RemoteAddr(), sc.RemoteAddr(), c.LocalAddr(), addr)
		}
		if seen[addr] {
			t.Fatalf("two clients as %s", addr)
		}
		seen[addr] = true
		if _, err := c.Write([]byte("<x/>")); err != nil {
			t.Fatal(err)
		}
		if err := c.(interface{ CloseWrite() error }).CloseWrite(); err != nil {
			t.Fatalf("half-close: %v", err)
		}
		buf := make([]byte, 16)
		n, err := sc.Read(buf)
		if string(buf[:n]) != "<x/>" || err != nil {
			t.Fatalf("server read %q, %v", buf[:n], err)
		}
		if n, err := sc.Read(buf); n != 0 || err != io.EOF {
			t.Fatalf("after the half-close the server read %d bytes, %v; want io.EOF", n, err)
		}
	}
	c, _, err := ln.dial()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(-time.Second))
	var ne net.Error
	if _, err := c.Read(make([]byte, 1)); !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past the deadline: %v, want a net.Error timeout", err)
	}
	c.SetReadDeadline(time.Time{})
	// Not accepted: Close closes the server's end, and the client reads
	// the end of the stream.
	ln.Close()
	if n, err := c.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("client of a pair Close dropped read %d bytes, %v; want io.EOF", n, err)
	}
	c.Close()
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("read after Close: %v, want net.ErrClosed", err)
	}
	if _, _, err := ln.dial(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("dial after Close: %v, want net.ErrClosed", err)
	}
	if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept after Close: %v, want net.ErrClosed", err)
	}
}

// TestLocalEligible: a script runs over the local socket unless a client
// names its own host or port (a component may: it connects over TCP to
// its own listener either way).
func TestLocalEligible(t *testing.T) {
	for _, tt := range []struct {
		clients []*Client
		want    bool
	}{
		{nil, true},
		{[]*Client{{Name: "Romeo"}, {Name: "Juliet"}}, true},
		{[]*Client{{Name: "Romeo"}, {Name: "Juliet", Port: 5222}}, false},
		{[]*Client{{Name: "Romeo", Host: "127.0.0.1"}}, false},
		{[]*Client{{Name: "Romeo"}, {Name: "Gateway", Component: true, Port: 5347}}, true},
	} {
		if got := localEligible(&Script{Clients: tt.clients}); got != tt.want {
			t.Errorf("%+v: localEligible = %v", tt.clients, got)
		}
	}
}

// TestLocalPerAddress runs a script whose second client is one
// connection over the server's per-address cap: over the local socket
// too the clients share one address, 127.0.0.1, so the second is refused
// with the cap's policy-violation as it would be over loopback.
func TestLocalPerAddress(t *testing.T) {
	s, err := Parse("cap.scs", strings.NewReader("# cap\n\n[Client] Romeo\n\tjid: romeo@localhost/r\n\tpassword: pw\n\n[Client] Juliet\n\tjid: juliet@localhost/r\n\tpassword: pw\n\n-----\n\nRomeo connects\n\nJuliet connects\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultServerConfig()
	cfg.MaxConnsPerIP = 1
	res := RunInProcess(context.Background(), s, cfg, Options{Timeout: 10 * time.Second})
	if res.Passed() || !strings.Contains(res.Failure.Error(), "policy-violation") {
		t.Fatalf("second client over a per-address cap of 1: %v, want its connection refused with policy-violation", res.Failure)
	}
	cfg.MaxConnsPerIP = 2
	if res := RunInProcess(context.Background(), s, cfg, Options{Timeout: 10 * time.Second}); !res.Passed() {
		t.Fatalf("two clients under a cap of 2: %v", res.Failure)
	}
}
