// Package servertest starts a server.Server on loopback for a Go test, in
// the spirit of net/http/httptest: one call gives a listening server whose
// address is s.Addr(), closed (and its goroutines waited for) when the test
// ends. DialRaw then gives a hand-driven connection to it for tests that
// check the exact bytes on the wire.
package servertest

import (
	"net"
	"testing"

	"github.com/muctest/muctest/server"
)

// New starts a server for cfg on 127.0.0.1:0 and registers its Close with
// t.Cleanup. Failing to start fails the test.
func New(t testing.TB, cfg server.Config) *server.Server {
	t.Helper()
	s, err := server.New(cfg)
	if err != nil {
		t.Fatalf("servertest: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("servertest: listen: %v", err)
	}
	done := s.Start(ln)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("servertest: close: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("servertest: serve: %v", err)
		}
	})
	return s
}
