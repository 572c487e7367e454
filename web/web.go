// Package web serves the server's HTTP surface for browser clients: the
// mux of server.Server.HTTPHandler, on which the server mounts, at
// Prosody's paths, XMPP over WebSocket (RFC 7395, package websocket) at
// /xmpp-websocket, XMPP over BOSH (XEP-0124/XEP-0206, package bosh) at
// /http-bind and their XEP-0156 discovery (package hostmeta) at
// /.well-known/host-meta and /.well-known/host-meta.json (server's
// transport.go), beside the routes of other modules. Every WebSocket and
// BOSH connection is served by the server's own c2s stream code through
// server.Server.ServeConn.
//
// Handle registers a module's route on that mux, and Mux builds the mux
// from what the modules registered (routes.go): mod/upload and the
// server's web module use Handle; package module keeps no HTTP of its own,
// so that modules that serve none link no net/http.
//
// HTTPServer gives the net/http server for that mux with the timeouts a
// server on a network needs; cmd/mucd -http and -https use it.
package web

import (
	"crypto/tls"
	"net/http"
	"time"
)

// HTTPServer returns an http.Server for h (a server's HTTPHandler) with
// the timeouts a server on a network needs: a slow or stalled handshake
// (request headers, TLS) is dropped after 10 s; WebSocket connections and
// held BOSH requests are long-lived by design and bounded by their own
// protocols. tlsConf, when set, makes it HTTPS (and WSS).
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
