//go:build linux

package netpoll

import (
	"io"
	"net"
	"runtime"
	"testing"
	"time"
)

// tcpPair returns both ends of a loopback TCP connection, closed at the
// end of the test.
func tcpPair(t *testing.T) (server, client net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err = ln.Accept()
	if err != nil {
		client.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close(); client.Close() })
	return server, client
}

func TestUnreadBytes(t *testing.T) {
	server, client := tcpPair(t)

	if n := Unread(server); n != 0 {
		t.Fatalf("unread before any write: %d", n)
	}
	if _, err := io.WriteString(client, "<presence/>"); err != nil {
		t.Fatal(err)
	}
	// Loopback delivery is immediate in practice; allow scheduling rounds
	// for a loaded machine rather than a fixed sleep.
	deadline := time.Now().Add(5 * time.Second)
	for Unread(server) != len("<presence/>") && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	if n := Unread(server); n != len("<presence/>") {
		t.Fatalf("unread after a write: %d, want %d", n, len("<presence/>"))
	}
	buf := make([]byte, 64)
	if _, err := io.ReadFull(server, buf[:len("<presence/>")]); err != nil {
		t.Fatal(err)
	}
	if n := Unread(server); n != 0 {
		t.Fatalf("unread after reading everything: %d", n)
	}
	if n := Unread(wrapped{Conn: server}); n != 0 {
		t.Fatalf("a wrapped conn is not a syscall.Conn, want 0, got %d", n)
	}
}

// wrapped hides the socket behind net.Conn's methods, as a TLS or counting
// wrapper does.
type wrapped struct{ net.Conn }

func TestUnsent(t *testing.T) {
	server, _ := tcpPair(t)
	if n := Unsent(server); n != 0 {
		t.Fatalf("unsent on a fresh socket: %d, want 0", n)
	}
	if n := Unsent(wrapped{Conn: server}); n != -1 {
		t.Fatalf("a wrapped conn is not a syscall.Conn, want -1, got %d", n)
	}
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if n, m := Unsent(a), Unread(a); n != -1 || m != 0 {
		t.Fatalf("net.Pipe: Unsent %d (want -1), Unread %d (want 0)", n, m)
	}
}
