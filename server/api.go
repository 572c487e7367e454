package server

import (
	"context"
	"net/http"

	"github.com/muctest/muctest/xmlnode"
)

// HTTPHandler returns the mux the modules' HTTP routes are on (WebSocket,
// BOSH, upload...): serve it with net/http, or mount it in httptest.
func (s *Server) HTTPHandler() http.Handler { return s.http }

// Route delivers a stanza from a component to a local user, as the
// components mounted by the server do (component.Router); for tests of the
// seam and for external components.
func (s *Server) Route(st *xmlnode.Element) { s.router.Route(st) }

// RouteTo is Route for a copy of st addressed to "to", without the copy
// where it can (component.AddressedRouter).
func (s *Server) RouteTo(st *xmlnode.Element, to string) { s.router.RouteTo(st, to) }

// Shutdown is Close bounded by ctx: it stops listening, tells the
// components and every session that the server shuts down, and waits for
// them until ctx ends; then it closes what is left abruptly and returns
// ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	done := make(chan error, 1)
	go func() { done <- s.Close() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	s.mu.Lock()
	for c := range s.conns {
		c.Abort()
	}
	s.mu.Unlock()
	<-done
	return ctx.Err()
}

// StateSize reports the bytes the modules hold for the account with that
// localpart and its sessions (rosters, offline messages, vCards...), as
// each module's state reports it (module.Sizer).
func (s *Server) StateSize(localpart string) int { return s.router.StateSize(localpart) }
