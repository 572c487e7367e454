package web_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
	"github.com/muctest/muctest/web"
	"github.com/muctest/muctest/websocket"
)

// serve runs HTTPServer for an in-process server on loopback.
func serve(t *testing.T, handshake time.Duration) (string, *server.Server) {
	t.Helper()
	srv := servertest.New(t, server.Config{})
	hs := web.HTTPServer(srv.HTTPHandler(), nil)
	if handshake > 0 {
		hs.ReadHeaderTimeout = handshake
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	t.Cleanup(func() {
		_ = srv.Close()
		_ = hs.Shutdown(context.Background())
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
	})
	return ln.Addr().String(), srv
}

func TestRoutes(t *testing.T) {
	addr, _ := serve(t, 0)
	for path, want := range map[string]string{
		"/.well-known/host-meta":      "ws://" + addr + "/xmpp-websocket",
		"/.well-known/host-meta.json": "http://" + addr + "/http-bind",
		"/xmpp-websocket":             "It works",
		"/http-bind":                  "It works",
	} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), want) {
			t.Errorf("%s: %d %s, want %s in it", path, resp.StatusCode, b, want)
		}
	}
}

// TestSlowHandshake: a client that never finishes its request headers is
// dropped after the handshake timeout, while another logs in meanwhile.
func TestSlowHandshake(t *testing.T) {
	addr, _ := serve(t, 200*time.Millisecond)

	slow, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	_ = slow.SetDeadline(time.Now().Add(20 * time.Second)) // a hung test, not a measurement
	if _, err := io.WriteString(slow, "GET /xmpp-websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := websocket.Dial(ctx, "ws://"+addr+"/xmpp-websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>`); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	var got strings.Builder
	for !strings.Contains(got.String(), "</stream:features>") {
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("websocket client: %v (got %s)", err, got.String())
		}
		got.Write(buf[:n])
	}

	// The slow client's connection is closed by the server.
	b, err := io.ReadAll(slow)
	if err != nil {
		t.Fatalf("slow client: %v, want the server to close (got %q)", err, b)
	}
}
