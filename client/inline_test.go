package client_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/c2s"
	"github.com/muctest/muctest/client"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
	"github.com/muctest/muctest/xmlnode"
)

// inlinePair logs in two clients reading inline to a fresh in-process
// server, as the scansion runner does.
func inlinePair(t *testing.T, cfg server.Config) (*server.Server, *client.Conn, *client.Conn) {
	t.Helper()
	cfg.AnyPassword = true
	s := servertest.New(t, cfg)
	dial := func(name string) *client.Conn {
		c, err := client.Dial(context.Background(), s.Addr().String(), client.Config{
			JID: name + "@localhost", Password: "x", Resource: "r", PipelinePlain: true, ReadInline: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Abort() })
		return c
	}
	return s, dial("a"), dial("b")
}

// settle waits, as the runner's byte-count settle does, for the server to
// have read what c wrote and handled it, then has b read all the server
// wrote it.
func settle(t *testing.T, ctx context.Context, s *server.Server, from, to *client.Conn) {
	t.Helper()
	for {
		got, _, ok := s.ConnBytes(from.LocalAddr().String())
		if !ok || got >= from.Written() {
			break
		}
		runtime.Gosched()
	}
	if err := s.WaitHandled(ctx); err != nil {
		t.Fatal(err)
	}
	_, w, ok := s.ConnBytes(to.LocalAddr().String())
	if !ok {
		t.Fatal("no session for the receiver")
	}
	if err := to.AwaitRead(ctx, w); err != nil {
		t.Fatalf("AwaitRead: %v", err)
	}
}

func message(id string) *xmlnode.Element {
	m := xmlnode.New(client.NSClient, "message", "to", "b@localhost/r", "id", id, "type", "chat")
	m.AddChild("", "body").SetText("hi " + id)
	return m
}

// TestReadInline checks a stream read inline: AwaitRead reads what the
// server wrote and queues every stanza in it, TryRecv then finds them all,
// and without a read nothing is queued (no goroutine reads).
func TestReadInline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, a, b := inlinePair(t, server.Config{})
	if err := a.SendAll(message("1"), message("2"), message("3")); err != nil {
		t.Fatal(err)
	}
	for {
		// Handled by the server, but not read by b yet: nothing queued.
		if got, _, _ := s.ConnBytes(a.LocalAddr().String()); got >= a.Written() {
			break
		}
		runtime.Gosched()
	}
	if err := s.WaitHandled(ctx); err != nil {
		t.Fatal(err)
	}
	if st, err, ok := b.TryRecv(); ok {
		t.Fatalf("TryRecv before any read = %v, %v: a goroutine reads the inline stream", st, err)
	}
	settle(t, ctx, s, a, b)
	for i := 1; i <= 3; i++ {
		st, err, ok := b.TryRecv()
		if !ok || err != nil || st.Attrib("id") != fmt.Sprint(i) {
			t.Fatalf("stanza %d after AwaitRead: %v, %v, %v", i, st, err, ok)
		}
	}
	if st, _, ok := b.TryRecv(); ok {
		t.Fatalf("one stanza too many: %v", st)
	}
	// Recv reads inline too.
	if err := a.Send(message("4")); err != nil {
		t.Fatal(err)
	}
	st, err := b.RecvContext(ctx)
	if err != nil || st.Attrib("id") != "4" {
		t.Fatalf("RecvContext = %v, %v", st, err)
	}
}

// TestReadInlineContext checks that a read inline ends with its context,
// saying so, and that the stream has ended then (the parser may have
// stood inside an element).
func TestReadInlineContext(t *testing.T) {
	_, _, b := inlinePair(t, server.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := b.RecvContext(ctx)
		errc <- err
	}()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("RecvContext after cancel = %v, want context.Canceled", err)
	}
	if _, err, ok := b.TryRecv(); ok && err == nil {
		t.Fatal("a stanza queued after the cancelled read")
	}
}

// TestReadInBackground checks the hand-over to a reader goroutine: the
// server can then write far more than the socket holds and still become
// idle, which with nobody reading it could not, and everything is queued
// without a read of the caller's.
func TestReadInBackground(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// A queue for b that holds all, so that its session is not dropped
	// as too slow should the server route faster than b reads.
	s, a, b := inlinePair(t, server.Config{Limits: c2s.Limits{MaxQueueBytes: 64 << 20}})
	b.ReadInBackground()
	b.ReadInBackground() // a second call does nothing
	big := strings.Repeat("x", 4000)
	const n = 1000 // 4 MB: more than loopback's socket buffers hold
	for i := range n {
		m := message(fmt.Sprint(i))
		m.Child("", "body").SetText(big)
		if err := a.Send(m); err != nil {
			t.Fatal(err)
		}
	}
	settle(t, ctx, s, a, b)
	for i := range n {
		st, err, ok := b.TryRecv()
		if !ok || err != nil || st.Attrib("id") != fmt.Sprint(i) {
			t.Fatalf("stanza %d: %v, %v, %v", i, st, err, ok)
		}
	}
}

// TestReadInlineFake runs the fake server's logins with ReadInline: the
// negotiation is the same, the echoes come back through Recv, a stream
// error ends the stream, and Close without the server's closing tag still
// times out; with STARTTLS the option is ignored. In parallel with the
// other tests: the last case waits out its Close timeout.
func TestReadInlineFake(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		srv  fakeServer
		cfg  client.Config
	}{
		{"plain", fakeServer{mechs: []string{"PLAIN"}, password: "pw"}, client.Config{Password: "pw"}},
		{"pipelined", fakeServer{mechs: []string{"PLAIN"}, password: "pw"}, client.Config{Password: "pw", PipelinePlain: true}},
		{"scram, session", fakeServer{mechs: []string{"SCRAM-SHA-256"}, password: "pw", sessionReq: true}, client.Config{Password: "pw"}},
		{"starttls", fakeServer{mechs: []string{"PLAIN"}, password: "pw", tls: selfSigned(t)}, client.Config{Password: "pw", TLS: true, InsecureSkipVerify: true}},
		{"stream error", fakeServer{mechs: []string{"PLAIN"}, password: "pw", errAfterAck: true}, client.Config{Password: "pw"}},
		{"no closing tag", fakeServer{mechs: []string{"PLAIN"}, password: "pw", noCloseTag: true}, client.Config{Password: "pw"}}, // Close's wait shortened below
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			srv := tt.srv
			addr, done := start(t, &srv)
			cfg := tt.cfg
			cfg.JID, cfg.ReadInline = "user@localhost", true
			c, err := client.Dial(ctx, addr, cfg)
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			defer c.Abort()
			if srv.noCloseTag {
				client.SetCloseTimeout(c, 200*time.Millisecond)
			}
			if srv.errAfterAck {
				_, err := c.RecvContext(ctx)
				var se *client.StreamError
				if !errors.As(err, &se) || se.Condition != "conflict" {
					t.Fatalf("Recv = %v, want the conflict stream error", err)
				}
				return
			}
			if err := c.SendAll(message("1"), message("2")); err != nil {
				t.Fatal(err)
			}
			for _, id := range []string{"1", "2"} {
				if st, err := c.RecvContext(ctx); err != nil || st.Attrib("id") != id {
					t.Fatalf("echo %s: %v, %v", id, st, err)
				}
			}
			err = c.Close()
			if srv.noCloseTag {
				if err == nil || !strings.Contains(err.Error(), "timed out") {
					t.Fatalf("Close = %v, want a timeout", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Close: %v", err)
			}
			if err := <-done; err != nil {
				t.Errorf("server: %v", err)
			}
		})
	}
}

// TestReadInlineClose checks Close and Drop on a stream read inline:
// Close reads up to the server's closing tag and keeps what came before
// it; Drop returns once the server has closed its side.
func TestReadInlineClose(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, a, b := inlinePair(t, server.Config{})
	if err := a.Send(message("last")); err != nil {
		t.Fatal(err)
	}
	settle(t, ctx, s, a, a) // handled: b's copy is in its socket, unread
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	st, err := b.Recv()
	if err != nil || st.Attrib("id") != "last" {
		t.Fatalf("after Close: %v, %v, want the stanza sent before", st, err)
	}
	if _, err := b.Recv(); !errors.Is(err, client.ErrClosed) {
		t.Fatalf("Recv after Close = %v, want ErrClosed", err)
	}
	if err := a.Drop(); err != nil {
		t.Fatalf("Drop: %v", err)
	}
	if _, err := a.Recv(); !errors.Is(err, client.ErrClosed) {
		t.Fatalf("Recv after Drop = %v, want ErrClosed", err)
	}
}
