package server_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
)

// TestWaitSettled checks Server.WaitSettled, WaitRead for several sessions
// and WaitHandled in one wait: it returns once each session has read what
// its client wrote and what that set off has been written (a ping's
// answer is counted as written when it returns, before the client has
// read anything), waits for nothing with counts already read, returns for
// an address with no session, ends with its context when the bytes never
// come (naming the session), and returns when a session ends without
// reading them.
func TestWaitSettled(t *testing.T) {
	s := servertest.New(t, server.Config{AnyPassword: true})
	a := servertest.DialRaw(t, s).Login("alice", "pw", "a")
	b := servertest.DialRaw(t, s).Login("bob", "pw", "b")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The client reads the bind result before its session's Write returns
	// and counts it: the counts before the stanzas are taken once idle.
	if err := s.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	addrA, addrB := a.Conn.LocalAddr().String(), b.Conn.LocalAddr().String()
	readA, wroteA, okA := s.ConnBytes(addrA)
	readB, wroteB, okB := s.ConnBytes(addrB)
	if !okA || !okB {
		t.Fatal("no session for the raw connections")
	}
	const ping = "<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>"
	const msg = "<message to='alice@localhost/a' type='chat'><body>hi</body></message>"
	a.Send(ping)
	b.Send(msg)
	want := []server.ReadWant{{Remote: addrA, N: readA + int64(len(ping))}, {Remote: addrB, N: readB + int64(len(msg))}}
	if err := s.WaitSettled(ctx, want); err != nil {
		t.Fatalf("WaitSettled: %v", err)
	}
	gotA, nowA, _ := s.ConnBytes(addrA)
	gotB, nowB, _ := s.ConnBytes(addrB)
	if gotA < want[0].N || gotB < want[1].N {
		t.Fatalf("WaitSettled returned with %d of %d and %d of %d bytes read", gotA, want[0].N, gotB, want[1].N)
	}
	// Alice's session wrote the pong and bob's message; bob's nothing.
	if nowA <= wroteA || nowB != wroteB {
		t.Fatalf("written after WaitSettled: alice %d (was %d), bob %d (was %d): want alice's to grow, bob's not", nowA, wroteA, nowB, wroteB)
	}
	if want[0].Written != nowA || want[1].Written != nowB {
		t.Fatalf("WaitSettled left written counts %d and %d, ConnBytes says %d and %d", want[0].Written, want[1].Written, nowA, nowB)
	}
	got := ""
	for i := 0; i < 2; i++ {
		got += a.Next().String()
	}
	if !strings.Contains(got, "p1") || !strings.Contains(got, "hi") {
		t.Fatalf("alice received %s, want the pong and bob's message", got)
	}
	if err := s.WaitSettled(ctx, want); err != nil {
		t.Fatalf("WaitSettled for bytes read already: %v", err)
	}
	gone := []server.ReadWant{{Remote: "127.0.0.1:1", N: 1}}
	if err := s.WaitSettled(ctx, gone); err != nil || gone[0].Written != -1 {
		t.Fatalf("WaitSettled for no session: %v, written %d (want -1)", err, gone[0].Written)
	}
	if err := s.WaitSettled(ctx, nil); err != nil {
		t.Fatalf("WaitSettled for no session at all: %v", err)
	}
	cancelled, stop := context.WithCancel(context.Background())
	stop()
	never := []server.ReadWant{{Remote: addrB, N: want[1].N + 1}}
	if err := s.WaitSettled(cancelled, never); !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), addrB) {
		t.Fatalf("WaitSettled for a byte never sent = %v, want context.Canceled naming %s", err, addrB)
	}
	done := make(chan error, 1)
	go func() { done <- s.WaitSettled(ctx, never) }()
	b.Conn.Close()
	if err := <-done; err != nil {
		t.Fatalf("WaitSettled across the session's end: %v", err)
	}
}
