package script

import (
	"context"
	"net"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestLocalListener checks the local socket's listener: each dialled
// client reaches the server as 127.0.0.1 with a port of its own, the one
// dial returns; the server's end keeps the file descriptor (the poller's
// SyscallConn) and the half-close a dropped client sends; a socket that
// did not bind one of the listener's client names is closed unserved.
func TestLocalListener(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("abstract Unix socket names are Linux's")
	}
	ln, err := listenLocal()
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// A stranger first: Accept must pass over it to the clients after.
	stranger, err := net.Dial("unix", ln.name)
	if err != nil {
		t.Fatal(err)
	}
	defer stranger.Close()
	seen := map[string]bool{}
	for range 2 {
		c, addr, err := ln.dial(ctx)
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
		if !ok || !ta.IP.Equal(net.IPv4(127, 0, 0, 1)) || sc.RemoteAddr().String() != addr {
			t.Fatalf("server sees %v (%T), dial returned %s: want the same 127.0.0.1 address", sc.RemoteAddr(), sc.RemoteAddr(), addr)
		}
		if seen[addr] {
			t.Fatalf("two clients as %s", addr)
		}
		seen[addr] = true
		if _, ok := sc.(syscall.Conn); !ok {
			t.Fatalf("server's end %T has no SyscallConn", sc)
		}
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
		if n, err := sc.Read(buf); n != 0 || err == nil {
			t.Fatalf("after the half-close the server read %d bytes, %v; want end of file", n, err)
		}
	}
	// The stranger was closed by the listener: its read ends at once.
	stranger.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := stranger.Read(make([]byte, 1)); n != 0 || err == nil {
		t.Fatalf("stranger read %d bytes, %v; want its connection closed", n, err)
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
		if got := localEligible(&Script{Clients: tt.clients}); got != (tt.want && runtime.GOOS == "linux") {
			t.Errorf("%+v: localEligible = %v", tt.clients, got)
		}
	}
}

// TestLocalPerAddress runs a script whose second client is one
// connection over the server's per-address cap: over the local socket
// too the clients share one address, 127.0.0.1, so the second is refused
// with the cap's policy-violation as it would be over loopback.
func TestLocalPerAddress(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("abstract Unix socket names are Linux's")
	}
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
