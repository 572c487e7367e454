package web_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/web"
	"github.com/muctest/muctest/websocket"
)

// TestCloseLeavesNoGoroutines: after the server and then the HTTP server
// are closed, nothing of a WebSocket session, a
// negotiating WebSocket or a BOSH session with a held request is left.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	srv, err := server.New(server.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := srv.Start(ln)
	hs := web.HTTPServer(srv.HTTPHandler(), nil)
	hln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(hln) }()
	base := hln.Addr().String()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	header := `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>`
	var clients []*websocket.Conn
	for range 2 {
		c, err := websocket.Dial(ctx, "ws://"+base+websocket.Path, nil)
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
		if _, err := io.WriteString(c, header); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 4096)
		var got strings.Builder
		for !strings.Contains(got.String(), "</stream:features>") {
			n, err := c.Read(buf)
			if err != nil {
				t.Fatal(err)
			}
			got.Write(buf[:n])
		}
	}
	tr := &http.Transport{}
	hc := &http.Client{Transport: tr}
	resp, err := hc.Post("http://"+base+"/http-bind", "text/xml",
		strings.NewReader(`<body xmlns="http://jabber.org/protocol/httpbind" rid="10" to="localhost" wait="30" hold="1"/>`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	sid := strings.SplitN(strings.SplitN(string(b), `sid="`, 2)[1], `"`, 2)[0]
	heldDone := make(chan struct{})
	go func() { // a held request, answered by the shutdown
		defer close(heldDone)
		resp, err := hc.Post("http://"+base+"/http-bind", "text/xml",
			strings.NewReader(`<body xmlns="http://jabber.org/protocol/httpbind" rid="11" sid="`+sid+`"/>`))
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}()
	// Whether or not the request is held yet when the server closes, it
	// is answered (a terminate, or item-not-found).
	if err := srv.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	// The WebSocket clients read on, as real ones do, so that they answer
	// the server's closing handshake.
	drained := make(chan struct{}, len(clients))
	for _, c := range clients {
		go func() {
			_, _ = io.Copy(io.Discard, c)
			drained <- struct{}{}
		}()
	}

	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	<-heldDone
	if err := hs.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		t.Fatal(err)
	}
	for _, c := range clients {
		_ = c.Close()
		<-drained
	}
	tr.CloseIdleConnections()
	deadline := time.Now().Add(10 * time.Second) // scheduling rounds, not a sleep
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines after Close, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}
