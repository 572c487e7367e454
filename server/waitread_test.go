package server_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
)

// TestWaitRead checks Server.WaitRead: it returns once the session has read
// what its client wrote (here half a stanza, which nothing else would
// report), waits with an already-read count for nothing, ends with its
// context when the bytes never come, returns at once for an address with
// no session, and returns when the session ends without reading them.
func TestWaitRead(t *testing.T) {
	s := servertest.New(t, server.Config{AnyPassword: true})
	r := servertest.DialRaw(t, s)
	r.Open(servertest.StreamHeader)
	addr := r.Conn.LocalAddr().String()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start, _, ok := s.ConnBytes(addr)
	if !ok {
		t.Fatal("no session for the raw connection")
	}
	const part = "<presence><status>half"
	r.Send(part)
	want := start + int64(len(part))
	if err := s.WaitRead(ctx, addr, want); err != nil {
		t.Fatalf("WaitRead: %v", err)
	}
	if got, _, _ := s.ConnBytes(addr); got < want {
		t.Fatalf("WaitRead returned with %d of %d bytes read", got, want)
	}
	if err := s.WaitRead(ctx, addr, want); err != nil {
		t.Fatalf("WaitRead for bytes read already: %v", err)
	}
	cancelled, stop := context.WithCancel(context.Background())
	stop()
	if err := s.WaitRead(cancelled, addr, want+1); !errors.Is(err, context.Canceled) {
		t.Fatalf("WaitRead for a byte never sent = %v, want context.Canceled", err)
	}
	if err := s.WaitRead(ctx, "127.0.0.1:1", 1); err != nil {
		t.Fatalf("WaitRead for no session: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- s.WaitRead(ctx, addr, want+1000) }()
	r.Conn.Close()
	if err := <-done; err != nil {
		t.Fatalf("WaitRead across the session's end: %v", err)
	}
}
