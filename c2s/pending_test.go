//go:build linux

package c2s

import (
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/muctest/muctest/netpoll"
)

// TestPendingCoversTakenBytes checks the window WaitIdle depends on: bytes
// a Read has taken from the kernel but that the session has not counted
// yet (it counts them only once busy again) still make it Pending, not just
// bytes the kernel holds.
func TestPendingCoversTakenBytes(t *testing.T) {
	server, client := tcpPair(t)
	s := New(server, &Config{Domain: "localhost"})
	if s.Pending() {
		t.Fatal("pending before the client wrote anything")
	}
	const msg = "<presence/>"
	if _, err := io.WriteString(client, msg); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for netpoll.Unread(server) != len(msg) && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	if !s.Pending() {
		t.Fatal("bytes in the kernel's queue: not pending")
	}
	// Taken from the socket as trackedConn.Read's syscall does, before its
	// count: the kernel's queue is empty now, the session still behind.
	buf := make([]byte, len(msg))
	if _, err := io.ReadFull(server, buf); err != nil {
		t.Fatal(err)
	}
	if !s.Pending() {
		t.Fatal("bytes taken but not yet counted: not pending")
	}
	s.rbytes.Add(int64(len(msg)))
	if s.Pending() {
		t.Fatal("every byte received counted: still pending")
	}
}
