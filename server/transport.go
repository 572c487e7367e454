package server

import (
	"crypto/tls"
	"net"

	"github.com/muctest/muctest/bosh"
	"github.com/muctest/muctest/c2s"
	"github.com/muctest/muctest/hostmeta"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/web"
	"github.com/muctest/muctest/websocket"
)

// TransportOptions describe a connection that did not come from one of the
// server's own listeners: a WebSocket (RFC 7395) or a BOSH session
// (XEP-0206) framed as a stream by its transport package.
type TransportOptions struct {
	// Secure says that the transport is encrypted (HTTPS): it satisfies
	// Config.RequireTLS. STARTTLS is never offered on such a connection,
	// whose TLS, if any, belongs to the HTTP layer.
	Secure bool
}

// transportConfig returns the c2s configuration of one ServeConn session:
// the server's own, without STARTTLS and without parking. A copy per
// session (a few hundred bytes) keeps this file apart from the Server
// type's own files.
func (s *Server) transportConfig(secure bool) *c2s.Config {
	s.mu.Lock() // register sets Poller under it
	cfg := s.c2s
	s.mu.Unlock()
	cfg.TLS = nil // no STARTTLS inside a WebSocket or BOSH stream
	// No parking: the connection is no socket the poller could watch, and
	// its reader waits in the transport's library anyway.
	cfg.Poller = nil
	// Over plain HTTP with RequireTLS, SASL is refused with the same
	// policy-violation a TCP client gets for skipping STARTTLS.
	cfg.RequireTLS = s.cfg.RequireTLS && !secure
	return &cfg
}

// ServeConn serves one client connection handed over by a transport (see
// TransportOptions) exactly as a TCP connection from Serve's listener:
// same negotiation (without STARTTLS), limits, rate limits and stream
// errors. It returns when the session has ended, or at once with
// ErrClosed after Close. Close ends it like every other session.
func (s *Server) ServeConn(conn net.Conn, opts TransportOptions) error {
	if !s.connLimit.Allow(conn.RemoteAddr()) {
		s.mu.Lock()
		closed := s.closed
		if !closed {
			s.wg.Add(1)
		}
		s.mu.Unlock()
		if closed {
			_ = conn.Close()
			return ErrClosed
		}
		s.refuse(conn)
		return nil
	}
	sess := c2s.New(conn, s.transportConfig(opts.Secure))
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = conn.Close()
		return ErrClosed
	}
	s.conns[sess] = struct{}{}
	s.wg.Add(1) // until sessionEnded
	s.mu.Unlock()
	sess.Run()
	<-sess.Done()
	return nil
}

// TLSConfig returns the certificate configuration of STARTTLS (the
// configured one, or the self-signed one made by New), nil with NoTLS: an
// HTTPS listener for the web transports (cmd/mucd -https) serves the same
// certificate.
func (s *Server) TLSConfig() *tls.Config { return s.c2s.TLS }

// webModule mounts the transports for browser clients on HTTPHandler's mux,
// at Prosody's paths: XMPP over WebSocket (RFC 7395, package websocket) at
// /xmpp-websocket, BOSH (XEP-0124/XEP-0206, package bosh) at /http-bind and
// their XEP-0156 discovery (package hostmeta) at /.well-known/host-meta and
// host-meta.json. Every connection is served by ServeConn. The routes cost
// nothing until HTTPHandler is served (cmd/mucd -http, servertest.StartHTTP).
func (s *Server) webModule() module.Module {
	return module.New("web", func(r *module.Registrar) error {
		serve := func(c net.Conn, secure bool) error {
			return s.ServeConn(c, TransportOptions{Secure: secure})
		}
		ws := websocket.NewHandler(websocket.Config{Serve: serve, MaxStanzaBytes: s.cfg.Limits.MaxStanzaBytes, ControlFrameRate: s.cfg.Web.WebSocketControlRate})
		bh := bosh.NewHandler(bosh.Config{Serve: serve, Domain: s.domain})
		hm := hostmeta.New(hostmeta.Config{BOSH: bosh.Path, WebSocket: websocket.Path})
		web.Handle(r, websocket.Path, ws)
		web.Handle(r, bosh.Path, bh)
		web.Handle(r, hostmeta.PathXRD, hm)
		web.Handle(r, hostmeta.PathJSON, hm)
		// After every session has ended: their HTTP handlers finish the
		// WebSocket closing handshakes, held BOSH requests are answered.
		r.OnClose(func() {
			ws.Wait()
			bh.Wait()
		})
		return nil
	})
}
