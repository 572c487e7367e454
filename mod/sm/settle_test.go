package sm_test

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/muctest/muctest/server"
)

// writeCounter counts every byte a raw test client has written on its
// connection, so that a test can wait for the server to have read them
// all: WaitIdle cannot see bytes still on their way through loopback (a
// loaded machine defers them), which is why the scansion runner compares
// byte counts before it asks for idle.
type writeCounter struct {
	net.Conn
	written atomic.Int64
}

func (w *writeCounter) Write(p []byte) (int, error) {
	n, err := w.Conn.Write(p)
	w.written.Add(int64(n))
	return n, err
}

// countWrites starts counting c's writes. c must be settled (everything it
// wrote answered), since the count starts from what the server has read.
func countWrites(t testing.TB, c *client) *writeCounter {
	t.Helper()
	read, _, ok := c.srv.ConnBytes(c.Conn.LocalAddr().String())
	if !ok {
		t.Fatalf("no session for %s", c.Conn.LocalAddr())
	}
	w := &writeCounter{Conn: c.Conn}
	w.written.Store(read)
	c.Conn = w
	return w
}

// readAll waits until the server's session for w has read every byte
// written on it, or has ended.
func readAll(t testing.TB, srv *server.Server, w *writeCounter) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	addr := w.LocalAddr().String()
	backoff := 5 * time.Microsecond
	for {
		got, _, ok := srv.ConnBytes(addr)
		want := w.written.Load()
		if !ok || got >= want {
			return
		}
		// The bytes are in the kernel or about to be read: a moment.
		tm := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			tm.Stop()
			t.Fatalf("the server read %d of the %d bytes %s wrote: %v", got, want, addr, ctx.Err())
		case <-tm.C:
		}
		backoff = min(2*backoff, time.Millisecond)
	}
}
