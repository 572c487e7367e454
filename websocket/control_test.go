package websocket

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// TestControlPacer drives the pacer on a fake clock: a quiet connection
// may send controlBurst frames at once, every further one waits its share
// of a second, and a quiet spell gives the burst back (but no more).
func TestControlPacer(t *testing.T) {
	const rate = 10
	every := time.Second / rate
	cases := []struct {
		name   string
		frames int           // sent at the same instant, after gap
		gap    time.Duration // time passed before them
		want   time.Duration // total wait of these frames
	}{
		{"burst", controlBurst, 0, 0},
		{"one past the burst", 1, 0, every},
		{"three more", 3, 0, 2*every + 3*every + 4*every},
		{"after a quiet spell the burst is back", controlBurst, time.Hour, 0},
		{"but no more than the burst", 1, 0, every},
	}
	now := time.Unix(1e9, 0)
	p := newControlPacer(rate)
	p.now = func() time.Time { return now }
	p.sleep = func(context.Context, time.Duration) {} // the clock stands still
	for _, c := range cases {
		now = now.Add(c.gap)
		before := p.waited
		for range c.frames {
			p.frame(context.Background())
		}
		if got := p.waited - before; got != c.want {
			t.Errorf("%s: waited %v, want %v", c.name, got, c.want)
		}
	}
}

// TestCloseDrainBounded checks that once the closing handshake has begun
// a corkConn reads at most maxCloseDrain bytes of a client that goes on
// writing, and then fails, so that the library's wait for the close frame
// ends instead of discarding a flood for 5 s.
func TestCloseDrainBounded(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	sc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	// The client writes without end (until the server side closes).
	wrote := make(chan error, 1)
	go func() {
		buf := make([]byte, 64<<10)
		for {
			if _, err := client.Write(buf); err != nil {
				wrote <- err
				return
			}
		}
	}()
	c := &corkConn{Conn: sc}
	// Before the handshake, reads are not bounded.
	if n, err := io.ReadFull(c, make([]byte, 2*maxCloseDrain)); err != nil || n != 2*maxCloseDrain {
		t.Fatalf("read before closing: %d, %v", n, err)
	}
	c.closing.Store(true)
	var total int64
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		total += int64(n)
		if err != nil {
			if !errors.Is(err, errCloseDrain) {
				t.Fatalf("read after closing: %v, want errCloseDrain", err)
			}
			break
		}
	}
	if total != maxCloseDrain {
		t.Errorf("read %d bytes after the close frame, want %d", total, maxCloseDrain)
	}
	sc.Close()
	client.Close()
	<-wrote
}
