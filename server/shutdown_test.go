package server_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/c2s"

	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
)

// TestShutdownGraceful: with time to spare, Shutdown is Close: every
// session gets the system-shutdown stream error and Serve returns nil.
func TestShutdownGraceful(t *testing.T) {
	srv, done := startServer(t, server.Config{})
	c := dialRaw(t, srv).login("a", "")
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	c.expectStreamError("system-shutdown")
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}

// TestShutdownBounded: a client that stopped reading holds its session's
// teardown until the write timeout; Shutdown with an ended context does
// not wait for it: it aborts the connection and returns the context's
// error, and everything has ended when it returns.
func TestShutdownBounded(t *testing.T) {
	// No write timeout drops the session however slow the machine is.
	srv, err := server.New(server.Config{Limits: c2s.Limits{WriteTimeout: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// Small kernel buffers on the way back to the client (the server's
	// send buffer and the client's receive buffer): a few tens of KB
	// hold them, not the megabytes Linux autotunes to on loopback.
	done := srv.Start(servertest.SendBuffers(ln, 4096))
	raw := dialRaw(t, srv)
	if err := raw.Conn.(*net.TCPConn).SetReadBuffer(4096); err != nil {
		t.Fatal(err)
	}
	c := raw.login("a", "")
	addr := c.Conn.LocalAddr().String()
	start, _, ok := srv.ConnBytes(addr)
	if !ok {
		t.Fatal("no session for the client")
	}
	// Far more than those buffers hold, echoed to ourselves and never
	// read: once the server has read it all, it has queued for us more
	// than the way back can take, so the session's writer is blocked.
	// (Without the small buffers, it took 10 MB to be sure.)
	var sent int64
	body := strings.Repeat("x", 100<<10)
	for range 10 {
		st := `<message to="` + c.JID + `"><body>` + body + `</body></message>`
		c.Send(st)
		sent += int64(len(st))
	}
	wctx, wcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer wcancel()
	if err := srv.WaitRead(wctx, addr, start+sent); err != nil {
		t.Fatalf("the server did not read the flood: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := srv.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Shutdown = %v, want context.Canceled", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}
