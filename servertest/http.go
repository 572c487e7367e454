package servertest

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/muctest/muctest/bosh"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/websocket"
)

// HTTP is the HTTP surface (Server.HTTPHandler) of an in-process server on
// loopback: its WebSocket and BOSH URLs are what a browser client needs.
type HTTP struct {
	URL          string // http://127.0.0.1:port
	WebSocketURL string // ws://127.0.0.1:port/xmpp-websocket
	BOSHURL      string // http://127.0.0.1:port/http-bind
}

// StartHTTP serves srv.HTTPHandler() (WebSocket, BOSH, host-meta and every
// module's routes) on a new loopback HTTP server. At cleanup it closes srv
// first (ending every session, which answers held BOSH requests and waits
// for the WebSocket closing handshakes), then the HTTP server.
func StartHTTP(t testing.TB, srv *server.Server) *HTTP {
	t.Helper()
	hs := httptest.NewServer(srv.HTTPHandler())
	t.Cleanup(func() {
		_ = srv.Close()
		hs.Close()
	})
	return &HTTP{
		URL:          hs.URL,
		WebSocketURL: "ws" + strings.TrimPrefix(hs.URL, "http") + websocket.Path,
		BOSHURL:      hs.URL + bosh.Path,
	}
}
