// Package websocket serves XMPP over WebSocket (RFC 7395): an http.Handler
// for the endpoint (Prosody's path is /xmpp-websocket) that accepts the
// WebSocket handshake with the "xmpp" subprotocol and hands each connection,
// framed by a Conn, to the XMPP server's client-stream code (package c2s via
// server.ServeConn), so that negotiation, limits and stream errors are the
// same as over TCP. STARTTLS is not offered: the WebSocket is as secure as
// the HTTP connection under it.
//
// The WebSocket protocol itself (RFC 6455 handshake, frames, fragmentation,
// masking, control frames) is github.com/coder/websocket's.
package websocket

import (
	"github.com/muctest/muctest/httpconn"

	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	ws "github.com/coder/websocket"
)

// Subprotocol is the WebSocket subprotocol of RFC 7395.
const Subprotocol = "xmpp"

// Path is where Prosody (and mucd) serve XMPP over WebSocket.
const Path = "/xmpp-websocket"

// ServeFunc hands an accepted connection to the XMPP server and returns
// when its session has ended. secure tells whether the HTTP connection
// under it is encrypted (HTTPS), which satisfies a server that requires TLS.
// server.Server's ServeConn, wrapped, is one.
type ServeFunc func(c net.Conn, secure bool) error

// Config sets up a Handler.
type Config struct {
	// Serve receives every accepted connection.
	Serve ServeFunc
	// MaxStanzaBytes is the server's stanza size limit (c2s.Limits); a
	// message may hold one such stanza plus whitespace. Larger messages are
	// refused by the library with close code 1009 (message too big); the
	// c2s session refuses a stanza over the limit first, with a
	// policy-violation stream error. Zero means 256 KiB.
	MaxStanzaBytes int64
	// OriginPatterns are the browser origins allowed to connect (as
	// github.com/coder/websocket matches them, e.g. "example.com",
	// "*.example.com"); nil allows every origin, which suits a development
	// server that pages on any host and port (or file://) talk to.
	OriginPatterns []string
	// ControlFrameRate is how many pings and pongs per second a client's
	// connection is read at, on average (after a burst of 20): past it
	// the connection is read more slowly, so that a ping flood cannot make
	// the server write pongs at line rate (see controlPacer). Zero means
	// DefaultControlFrameRate; negative, no limit.
	ControlFrameRate int
}

// Handler is the http.Handler of the WebSocket endpoint.
type Handler struct {
	cfg Config
	wg  sync.WaitGroup
}

// NewHandler returns a Handler for cfg.
func NewHandler(cfg Config) *Handler {
	if cfg.MaxStanzaBytes <= 0 {
		cfg.MaxStanzaBytes = 256 << 10
	}
	if cfg.ControlFrameRate == 0 {
		cfg.ControlFrameRate = DefaultControlFrameRate
	}
	return &Handler{cfg: cfg}
}

// wantsXMPP reports whether the client offered the xmpp subprotocol.
func wantsXMPP(r *http.Request) bool {
	for _, h := range r.Header.Values("Sec-WebSocket-Protocol") {
		for _, p := range strings.Split(h, ",") {
			if strings.TrimSpace(p) == Subprotocol {
				return true
			}
		}
	}
	return false
}

// ServeHTTP accepts the WebSocket handshake and serves the session. A plain
// GET (no upgrade) gets a short text page, as Prosody's endpoint answers;
// an upgrade without the xmpp subprotocol is refused with 501 Not
// Implemented, also as Prosody does, since RFC 7395 section 3.2 forbids
// speaking XMPP on any other.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET")
			http.Error(w, "405 method not allowed: this is an XMPP over WebSocket endpoint (RFC 7395)", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("It works! Point an XMPP over WebSocket client (RFC 7395, subprotocol \"xmpp\") at this URL.\n"))
		return
	}
	if !wantsXMPP(r) {
		http.Error(w, `501 not implemented: this endpoint speaks only the "xmpp" WebSocket subprotocol (RFC 7395)`, http.StatusNotImplemented)
		return
	}
	opts := &ws.AcceptOptions{Subprotocols: []string{Subprotocol}}
	if h.cfg.OriginPatterns == nil {
		opts.InsecureSkipVerify = true // any origin: see Config.OriginPatterns
	} else {
		opts.OriginPatterns = h.cfg.OriginPatterns
	}
	if h.cfg.ControlFrameRate > 0 {
		p := newControlPacer(h.cfg.ControlFrameRate)
		opts.OnPingReceived = func(ctx context.Context, _ []byte) bool { p.frame(ctx); return true }
		opts.OnPongReceived = func(ctx context.Context, _ []byte) { p.frame(ctx) }
	}
	// The connection outlives the request: no deadline of the HTTP
	// server's may stay on it (the session sets its own).
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	cw := &corkWriter{ResponseWriter: w}
	c, err := ws.Accept(cw, r, opts) // writes its own error response
	if err != nil {
		return
	}
	h.wg.Add(1)
	defer h.wg.Done()
	// One stanza and the whitespace around it; the session's own limit
	// triggers first.
	c.SetReadLimit(2*h.cfg.MaxStanzaBytes + 4096)
	local, remote := httpconn.Addrs(r)
	conn := NewConn(c, local, remote)
	conn.cork = cw.conn
	_ = h.cfg.Serve(conn, r.TLS != nil)
	conn.Close()
	<-conn.closed
}

// Wait blocks until every connection the Handler accepted has been closed
// (after the server serving them was closed), for callers that must leave
// no goroutine behind.
func (h *Handler) Wait() { h.wg.Wait() }
