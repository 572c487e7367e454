package server

import (
	"net"
	"sync"

	"github.com/muctest/muctest/component/external"
	"github.com/muctest/muctest/module"
)

// extComponents holds the XEP-0114 external components of Config.Components:
// package external accepts them, and they are mounted by domain through
// the module registry like any component.
type extComponents struct {
	srv *external.Server // nil without Config.Components

	mu  sync.Mutex
	lns []net.Listener
}

// init builds the external.Server for cfg at New.
func (e *extComponents) init(s *Server) error {
	if len(s.cfg.Components) == 0 {
		return nil
	}
	srv, err := external.New(external.Config{
		Secrets: s.cfg.Components,
		// The router comes from the registrar (external.Server.Register).
		Limits: external.Limits{
			MaxStanzaBytes: s.cfg.Limits.MaxStanzaBytes,
			MaxDepth:       s.cfg.Limits.MaxDepth,
			MaxAttrs:       s.cfg.Limits.MaxAttrs,
		},
		Logger: s.log,
		Busy:   s.idle.Add,
	})
	if err != nil {
		return err
	}
	e.srv = srv
	return nil
}

// module adds the external components to the modules New registers.
func (e *extComponents) module(mods []module.Module) []module.Module {
	if e.srv == nil {
		return mods
	}
	return append(mods, e.srv)
}

func (e *extComponents) pending() bool { return e.srv != nil && e.srv.Pending() }

func (e *extComponents) close() {
	if e.srv != nil {
		_ = e.srv.Close()
	}
}

// ServeComponents accepts XEP-0114 external components (Config.Components)
// on ln until Close, which makes it return nil; mucd gives it the
// -component-port listener. Without Config.Components it refuses.
func (s *Server) ServeComponents(ln net.Listener) error {
	if s.ext.srv == nil {
		_ = ln.Close()
		return errNoComponents
	}
	s.ext.mu.Lock()
	s.ext.lns = append(s.ext.lns, ln)
	s.ext.mu.Unlock()
	err := s.ext.srv.Serve(ln)
	if err == external.ErrClosed {
		return ErrClosed
	}
	return err
}

// StartComponents is ServeComponents in a new goroutine, like Start: the
// listener is registered at once (ComponentAddr returns it) and the
// channel receives ServeComponents' result.
func (s *Server) StartComponents(ln net.Listener) <-chan error {
	done := make(chan error, 1)
	if s.ext.srv == nil {
		_ = ln.Close()
		done <- errNoComponents
		return done
	}
	s.ext.mu.Lock()
	s.ext.lns = append(s.ext.lns, ln)
	s.ext.mu.Unlock()
	go func() {
		err := s.ext.srv.Serve(ln)
		if err == external.ErrClosed {
			err = ErrClosed
		}
		done <- err
	}()
	return done
}

// ComponentAddr returns the address of the first listener given to
// ServeComponents or StartComponents, or nil: where a component (or a
// scansion [Component]) connects.
func (s *Server) ComponentAddr() net.Addr {
	s.ext.mu.Lock()
	defer s.ext.mu.Unlock()
	if len(s.ext.lns) == 0 {
		return nil
	}
	return s.ext.lns[0].Addr()
}

// errNoComponents is what ServeComponents returns without
// Config.Components.
var errNoComponents = errorString("server: no external components configured (Config.Components)")

type errorString string

func (e errorString) Error() string { return string(e) }
