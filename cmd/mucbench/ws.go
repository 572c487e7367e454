package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/web"
	"github.com/muctest/muctest/websocket"
)

// startWeb serves srv's HTTP routes (package web) on a loopback port,
// so that -ws can run the fan-out over RFC 7395 against muctest's own
// server. It returns the WebSocket URL and a stop function to call after
// srv.Close (which ends the WebSocket sessions).
func startWeb(srv *server.Server) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("listen http: %w", err)
	}
	hs := web.HTTPServer(srv.HTTPHandler(), nil)
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	stop := func() {
		_ = hs.Shutdown(context.Background())
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Println("mucbench: http:", err)
		}
	}
	return "ws://" + ln.Addr().String() + websocket.Path, stop, nil
}

// splitAddrs reads the child's first line: the XMPP address and the
// WebSocket URL.
func splitAddrs(line string) (addr, wsURL string) {
	f := strings.Fields(line)
	switch len(f) {
	case 0:
		return "", ""
	case 1:
		return f[0], ""
	}
	return f[0], f[1]
}

// wsDialer returns the fanout.Config.Dial of -ws.
func wsDialer(url string) func(context.Context) (net.Conn, error) {
	return func(ctx context.Context) (net.Conn, error) {
		return websocket.Dial(ctx, url, nil)
	}
}
