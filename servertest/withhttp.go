package servertest

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/muctest/muctest/bosh"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/websocket"
)

// NewWithHTTP is New and StartHTTP in one, for servers whose modules hand
// out URLs of their HTTP surface (XEP-0363 upload slots): the HTTP
// listener is opened first, so cfg.Services.HTTPBaseURL, when empty, is
// set to its address before the server is built. Cleanup is as for
// StartHTTP: the server closes first, then the HTTP server.
func NewWithHTTP(t testing.TB, cfg server.Config) (*server.Server, *HTTP) {
	t.Helper()
	hs := httptest.NewUnstartedServer(nil) // listening on 127.0.0.1:0 already
	base := "http://" + hs.Listener.Addr().String()
	if cfg.Services.HTTPBaseURL == "" {
		cfg.Services.HTTPBaseURL = base
	}
	t.Cleanup(hs.Close) // after New's cleanup has closed the server
	srv := New(t, cfg)
	hs.Config.Handler = srv.HTTPHandler()
	hs.Start()
	return srv, &HTTP{
		URL:          hs.URL,
		WebSocketURL: "ws" + strings.TrimPrefix(hs.URL, "http") + websocket.Path,
		BOSHURL:      hs.URL + bosh.Path,
	}
}
