package c2s

import (
	"errors"
	"net"
	"os"
	"testing"
	"time"
)

// TestAbortSticks: after Abort, a deadline the session sets (the close
// timeout a teardown started by Server.Close sets at the same time as a
// Shutdown's Abort) is in the past too, so reads and writes fail at once;
// before the fix a Shutdown with an ended context could wait out the 10 s
// close timeout.
func TestAbortSticks(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(s *Session, at time.Time)
		op   func(c net.Conn) error
	}{
		{"write", (*Session).setWriteDeadline, func(c net.Conn) error { _, err := c.Write([]byte("x")); return err }},
		{"read", (*Session).setReadDeadline, func(c net.Conn) error { _, err := c.Read(make([]byte, 1)); return err }},
		{"both", (*Session).setDeadline, func(c net.Conn) error { _, err := c.Write([]byte("x")); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := net.Pipe()
			defer a.Close()
			defer b.Close()
			s := &Session{raw: a}
			tc.set(s, time.Now().Add(time.Hour)) // before Abort: kept
			if s.bits.aborted() {
				t.Fatal("aborted before Abort")
			}
			s.Abort()
			tc.set(s, time.Now().Add(time.Hour))
			if err := tc.op(a); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("after Abort and a new deadline: %v, want a deadline error", err)
			}
		})
	}
}

// TestStateBits: parked and aborted are independent, and of two unparks
// only the first reports that the session was parked.
func TestStateBits(t *testing.T) {
	var b stateBits
	b.park()
	b.abort()
	if !b.parked() || !b.aborted() {
		t.Fatal("park or abort lost")
	}
	if !b.unpark() || b.unpark() {
		t.Fatal("unpark must win exactly once")
	}
	if b.parked() || !b.aborted() {
		t.Fatal("unpark changed aborted, or left parked set")
	}
}
