//go:build linux

package netpoll_test

import (
	"io"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/muctest/muctest/netpoll"
)

// wrapped hides the socket behind net.Conn's methods, as a TLS or counting
// wrapper does.
type wrapped struct{ net.Conn }

func TestUnread(t *testing.T) {
	server, client := pair(t)
	if n := netpoll.Unread(server); n != 0 {
		t.Fatalf("unread before any write: %d", n)
	}
	if _, err := io.WriteString(client, "<presence/>"); err != nil {
		t.Fatal(err)
	}
	// Loopback delivery is immediate in practice; allow scheduling rounds
	// for a loaded machine rather than a fixed sleep.
	deadline := time.Now().Add(5 * time.Second)
	for netpoll.Unread(server) != len("<presence/>") && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	if n := netpoll.Unread(server); n != len("<presence/>") {
		t.Fatalf("unread after a write: %d, want %d", n, len("<presence/>"))
	}
	buf := make([]byte, 64)
	if _, err := io.ReadFull(server, buf[:len("<presence/>")]); err != nil {
		t.Fatal(err)
	}
	if n := netpoll.Unread(server); n != 0 {
		t.Fatalf("unread after reading everything: %d", n)
	}
	if n := netpoll.Unread(wrapped{Conn: server}); n != 0 {
		t.Fatalf("a wrapped conn is not a syscall.Conn, want 0, got %d", n)
	}
}

func TestUnsent(t *testing.T) {
	server, _ := pair(t)
	if n := netpoll.Unsent(server); n != 0 {
		t.Fatalf("unsent on a fresh socket: %d, want 0", n)
	}
	if n := netpoll.Unsent(wrapped{Conn: server}); n != -1 {
		t.Fatalf("a wrapped conn is not a syscall.Conn, want -1, got %d", n)
	}
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if n, m := netpoll.Unsent(a), netpoll.Unread(a); n != -1 || m != 0 {
		t.Fatalf("net.Pipe: Unsent %d (want -1), Unread %d (want 0)", n, m)
	}
}

func TestReceived(t *testing.T) {
	server, client := pair(t)
	if n, ok := netpoll.Received(server); !ok || n != 0 {
		t.Fatalf("received on a fresh socket: %d %v, want 0 true", n, ok)
	}
	const msg = "<presence/><message/>"
	if _, err := io.WriteString(client, msg); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for netpoll.Unread(server) != len(msg) && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	buf := make([]byte, len(msg))
	if _, err := io.ReadFull(server, buf); err != nil {
		t.Fatal(err)
	}
	// Read or not, the bytes count as received: that is what tells a
	// reader's own count that it is behind.
	if n, ok := netpoll.Received(server); !ok || n != int64(len(msg)) {
		t.Fatalf("received after reading: %d %v, want %d true", n, ok, len(msg))
	}
	if _, ok := netpoll.Received(wrapped{Conn: server}); ok {
		t.Fatal("a wrapped conn is not a syscall.Conn, want ok false")
	}
}
