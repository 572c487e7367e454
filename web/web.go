// Package web is the server's HTTP surface for browser clients, at
// Prosody's paths: XMPP over WebSocket (RFC 7395, package websocket) at
// /xmpp-websocket, XMPP over BOSH (XEP-0124/XEP-0206, package bosh) at
// /http-bind, and their XEP-0156 discovery (package hostmeta) at
// /.well-known/host-meta and /.well-known/host-meta.json. Every connection
// is served by the server's own c2s stream code through
// server.Server.ServeConn.
package web

import (
	"crypto/tls"
	"net"
	"net/http"
	"time"

	"github.com/muctest/muctest/bosh"
	"github.com/muctest/muctest/hostmeta"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/websocket"
)

// Options tune the endpoints; the zero value suits a development server.
type Options struct {
	// MaxStanzaBytes is the server's stanza size limit (its
	// c2s.Limits.MaxStanzaBytes), to size WebSocket messages; 0 is the
	// c2s default.
	MaxStanzaBytes int64
	// Origins are the browser origins allowed to open a WebSocket (see
	// websocket.Config.OriginPatterns); nil allows any.
	Origins []string
	// BOSH holds the BOSH limits; its Serve and Domain are set by New.
	BOSH bosh.Config
}

// Handler routes the three endpoints of one server.
type Handler struct {
	mux       *http.ServeMux
	WebSocket *websocket.Handler
	BOSH      *bosh.Handler
	HostMeta  *hostmeta.Handler
}

// New returns the endpoints for srv.
func New(srv *server.Server, opts Options) *Handler {
	serve := func(c net.Conn, secure bool) error {
		return srv.ServeConn(c, server.TransportOptions{Secure: secure})
	}
	bc := opts.BOSH
	bc.Serve, bc.Domain = serve, srv.Domain()
	h := &Handler{
		mux: http.NewServeMux(),
		WebSocket: websocket.NewHandler(websocket.Config{
			Serve: serve, MaxStanzaBytes: opts.MaxStanzaBytes, OriginPatterns: opts.Origins,
		}),
		BOSH:     bosh.NewHandler(bc),
		HostMeta: hostmeta.New(hostmeta.Config{BOSH: bosh.Path, WebSocket: websocket.Path}),
	}
	for path, handler := range h.Routes() {
		h.mux.Handle(path, handler)
	}
	return h
}

// Routes returns the handlers by path, for mounting them on another mux.
func (h *Handler) Routes() map[string]http.Handler {
	return map[string]http.Handler{
		websocket.Path:    h.WebSocket,
		bosh.Path:         h.BOSH,
		hostmeta.PathXRD:  h.HostMeta,
		hostmeta.PathJSON: h.HostMeta,
	}
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Wait blocks until every WebSocket and BOSH session has ended; call it
// after closing the server.
func (h *Handler) Wait() {
	h.WebSocket.Wait()
	h.BOSH.Wait()
}

// HTTPServer returns an http.Server for h with the timeouts a server on a
// network needs: a slow or stalled handshake (headers, TLS) is dropped
// after 10 s; WebSocket and held BOSH requests are long-lived by design and
// bounded by their own protocols. tlsConf, when set, makes it HTTPS (and
// WSS).
func HTTPServer(h http.Handler, tlsConf *tls.Config) *http.Server {
	s := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
	}
	if tlsConf != nil {
		s.TLSConfig = tlsConf.Clone()
		s.TLSConfig.NextProtos = []string{"http/1.1"} // WebSocket needs HTTP/1.1
	}
	return s
}
