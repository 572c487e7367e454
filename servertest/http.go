package servertest

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/muctest/muctest/bosh"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/web"
	"github.com/muctest/muctest/websocket"
)

// HTTP is the HTTP surface (package web) of an in-process server, on
// loopback: its WebSocket and BOSH URLs are what a browser client needs.
type HTTP struct {
	URL          string // http://127.0.0.1:port
	WebSocketURL string // ws://127.0.0.1:port/xmpp-websocket
	BOSHURL      string // http://127.0.0.1:port/http-bind
	Handler      *web.Handler
}

// StartHTTP serves srv's WebSocket, BOSH and host-meta endpoints on a new
// loopback HTTP server. At cleanup it closes srv first (ending every
// session, which answers held BOSH requests), then the HTTP server, and
// waits for every session's goroutines.
func StartHTTP(t testing.TB, srv *server.Server, opts web.Options) *HTTP {
	t.Helper()
	h := web.New(srv, opts)
	hs := httptest.NewServer(h)
	t.Cleanup(func() {
		_ = srv.Close()
		hs.Close()
		h.Wait()
	})
	return &HTTP{
		URL:          hs.URL,
		WebSocketURL: "ws" + strings.TrimPrefix(hs.URL, "http") + websocket.Path,
		BOSHURL:      hs.URL + bosh.Path,
		Handler:      h,
	}
}
