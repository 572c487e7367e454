package server_test

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/server"
)

// TestLimitHTTPListener: the HTTP surface gets the XMPP listener's
// connection caps, its own lower one over every address
// (WebLimits.MaxConns, bounded by Config.MaxConns), and a connection over one an HTTP refusal read from
// nothing it sent, while those within the caps are served.
func TestLimitHTTPListener(t *testing.T) {
	for _, tt := range []struct {
		name       string
		cfg        server.Config
		wantStatus string
	}{
		{"per address", server.Config{MaxConns: -1, MaxConnsPerIP: 2}, "HTTP/1.1 429 Too Many Requests"},
		{"global", server.Config{MaxConns: 2, MaxConnsPerIP: -1}, "HTTP/1.1 503 Service Unavailable"},
		{"web", server.Config{MaxConns: 100, MaxConnsPerIP: -1, Web: server.WebLimits{MaxConns: 2}}, "HTTP/1.1 503 Service Unavailable"},
		{"web above global", server.Config{MaxConns: 2, MaxConnsPerIP: -1, Web: server.WebLimits{MaxConns: 100}}, "HTTP/1.1 503 Service Unavailable"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.AnyPassword, tt.cfg.NoTLS = true, true
			srv, err := server.New(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			raw, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			hs := &http.Server{Handler: srv.HTTPHandler(), ReadHeaderTimeout: 10 * time.Second}
			done := make(chan struct{})
			go func() { defer close(done); _ = hs.Serve(srv.LimitHTTPListener(raw)) }()
			defer func() { _ = hs.Close(); <-done }()

			get := func(c net.Conn) string {
				t.Helper()
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				if _, err := c.Write([]byte("GET /.well-known/host-meta HTTP/1.1\r\nHost: localhost\r\n\r\n")); err != nil {
					return "write: " + err.Error()
				}
				line, err := bufio.NewReader(c).ReadString('\n')
				if err != nil {
					return "read: " + err.Error()
				}
				return strings.TrimSpace(line)
			}
			var held []net.Conn
			defer func() {
				for _, c := range held {
					c.Close()
				}
			}()
			for range 2 {
				c, err := net.Dial("tcp", raw.Addr().String())
				if err != nil {
					t.Fatal(err)
				}
				held = append(held, c)
				// Served: the connection holds its slot from here on.
				if got := get(c); !strings.HasPrefix(got, "HTTP/1.1 200") {
					t.Fatalf("a connection within the caps got %q", got)
				}
			}
			over, err := net.Dial("tcp", raw.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer over.Close()
			_ = over.SetDeadline(time.Now().Add(10 * time.Second))
			line, err := bufio.NewReader(over).ReadString('\n')
			if got := strings.TrimSpace(line); got != tt.wantStatus {
				t.Fatalf("the connection over the cap got %q (%v), want %q", got, err, tt.wantStatus)
			}
			// The first ones are still served.
			if got := get(held[0]); !strings.HasPrefix(got, "HTTP/1.1 200") {
				t.Fatalf("after the refusal, a connection within the caps got %q", got)
			}
		})
	}
}

// TestWebCapLeavesXMPPAlone: WebLimits.MaxConns bounds the HTTP listeners
// only; the XMPP listener keeps Config.MaxConns, so clients past the web
// cap still log in over TCP.
func TestWebCapLeavesXMPPAlone(t *testing.T) {
	srv, _ := startServer(t, server.Config{MaxConnsPerIP: -1, Web: server.WebLimits{MaxConns: 1}})
	for _, user := range []string{"a", "b", "c"} {
		dialRaw(t, srv).login(user, "r")
	}
}
