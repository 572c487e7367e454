package server_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/c2s"

	"github.com/muctest/muctest/server"
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
	srv, done := startServer(t, server.Config{Limits: c2s.Limits{WriteTimeout: time.Hour}})
	c := dialRaw(t, srv).login("a", "")
	// Far more than the socket buffers hold, echoed to ourselves and
	// never read: once these writes return, the server has read (and
	// queued for us) more than the socket buffers can take, so the
	// session's writer is blocked.
	body := strings.Repeat("x", 100<<10)
	for range 100 {
		c.Send(`<message to="` + c.JID + `"><body>` + body + `</body></message>`)
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
