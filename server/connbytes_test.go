package server_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/muctest/muctest/client"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
	"github.com/muctest/muctest/xmlnode"
)

// settleCounted is what the in-process scansion runner does instead of a
// ping per client: wait until the server has read all each client wrote,
// then for the server to be idle, then until each client has read all its
// session wrote.
func settleCounted(t *testing.T, ctx context.Context, srv *server.Server, conns ...*client.Conn) {
	t.Helper()
	for _, c := range conns {
		for {
			read, _, ok := srv.ConnBytes(c.LocalAddr().String())
			if !ok {
				t.Fatalf("no session for %s", c.LocalAddr())
			}
			if read >= c.Written() {
				break
			}
			// Read but not counted yet, or not read yet: WaitIdle
			// covers the latter, the former is a moment.
			if err := srv.WaitIdle(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := srv.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range conns {
		_, written, ok := srv.ConnBytes(c.LocalAddr().String())
		if !ok {
			t.Fatalf("no session for %s", c.LocalAddr())
		}
		if err := c.AwaitRead(ctx, written); err != nil {
			t.Fatalf("AwaitRead(%d): %v", written, err)
		}
	}
}

// TestConnBytesSettle checks that byte counts settle a run with nothing
// lost: every message sent before the settle is queued at its recipient
// right after it, many times over, with messages in one write and across
// writes.
func TestConnBytesSettle(t *testing.T) {
	srv := servertest.New(t, server.Config{AnyPassword: true})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dial := func(user string) *client.Conn {
		c, err := client.Dial(ctx, srv.Addr().String(), client.Config{JID: user + "@localhost", Password: "x", Resource: "r"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Abort() })
		return c
	}
	romeo, juliet := dial("romeo"), dial("juliet")
	settleCounted(t, ctx, srv, romeo, juliet)
	if _, err, ok := juliet.TryRecv(); ok {
		t.Fatalf("juliet got something before any message: %v", err)
	}
	for round := range 200 {
		var msgs []*xmlnode.Element
		for i := range round%4 + 1 {
			m := xmlnode.New("jabber:client", "message", "to", "juliet@localhost/r", "type", "chat")
			m.AddChild("jabber:client", "body").SetText(fmt.Sprint(round, ".", i))
			msgs = append(msgs, m)
		}
		if err := romeo.SendAll(msgs...); err != nil {
			t.Fatal(err)
		}
		settleCounted(t, ctx, srv, romeo, juliet)
		for i := range msgs {
			st, err, ok := juliet.TryRecv()
			if !ok || err != nil {
				t.Fatalf("round %d: message %d of %d not there after the settle (ok %v, err %v)", round, i, len(msgs), ok, err)
			}
			if got, want := st.Child("jabber:client", "body").Text(), fmt.Sprint(round, ".", i); got != want {
				t.Fatalf("round %d: body %q, want %q", round, got, want)
			}
		}
		if st, _, ok := juliet.TryRecv(); ok {
			t.Fatalf("round %d: unexpected %v", round, st)
		}
	}
	if read, written, _ := srv.ConnBytes(romeo.LocalAddr().String()); read != romeo.Written() || written == 0 {
		t.Fatalf("romeo: server read %d of %d, wrote %d", read, romeo.Written(), written)
	}
}

// TestConnBytesUnknown checks that an address without a session is
// reported as such.
func TestConnBytesUnknown(t *testing.T) {
	srv := servertest.New(t, server.Config{AnyPassword: true})
	if _, _, ok := srv.ConnBytes("127.0.0.1:1"); ok {
		t.Fatal("ConnBytes found a session that does not exist")
	}
}

// TestAwaitReadStreamEnd checks that AwaitRead returns once the server has
// ended a stream (here with a resource conflict), with the stream error
// queued, however many bytes it was asked to wait for.
func TestAwaitReadStreamEnd(t *testing.T) {
	srv := servertest.New(t, server.Config{AnyPassword: true})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cfg := client.Config{JID: "juliet@localhost", Password: "x", Resource: "r"}
	old, err := client.Dial(ctx, srv.Addr().String(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Abort()
	repl, err := client.Dial(ctx, srv.Addr().String(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer repl.Abort()
	if err := old.AwaitRead(ctx, 1<<62); err != nil {
		t.Fatalf("AwaitRead: %v", err)
	}
	var se *client.StreamError
	for {
		_, err, ok := old.TryRecv()
		if !ok {
			t.Fatal("stream still open after AwaitRead returned")
		}
		if err != nil {
			if !errors.As(err, &se) || se.Condition != "conflict" {
				t.Fatalf("stream ended with %v, want a conflict stream error", err)
			}
			break
		}
	}
}
