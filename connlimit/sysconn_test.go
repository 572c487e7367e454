package connlimit

import (
	"net"
	"path/filepath"
	"syscall"
	"testing"
)

// TestUnixConnKeepsFD: a connection accepted from a Unix socket keeps its
// SyscallConn through the slot's wrapper (the server's poller and its
// looks at socket queues need the descriptor, as with TCP), and closing it
// gives the slot back.
func TestUnixConnKeepsFD(t *testing.T) {
	ul, err := net.Listen("unix", filepath.Join(t.TempDir(), "s"))
	if err != nil {
		t.Skipf("no Unix sockets: %v", err)
	}
	l := New(ul, Config{MaxConns: 1, MaxPerIP: -1})
	defer l.Close()
	for range 2 {
		c, err := net.Dial("unix", ul.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		sc, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := sc.(syscall.Conn); !ok {
			t.Fatalf("accepted %T has no SyscallConn", sc)
		}
		if n := l.Open(); n != 1 {
			t.Fatalf("%d open, want 1", n)
		}
		sc.Close()
		c.Close()
		if n := l.Open(); n != 0 {
			t.Fatalf("%d open after Close, want 0", n)
		}
	}
}
