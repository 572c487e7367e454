package main

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/websocket"
)

// TestHTTP starts mucd with -http and -https and reads host-meta from
// both: the links name the endpoints on the address asked, with ws:// and
// wss:// as the scheme says.
func TestHTTP(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan net.Addr, 3)
	result := make(chan error, 1)
	go func() {
		result <- run(ctx, []string{"-addr", "127.0.0.1:0", "-http", "127.0.0.1:0", "-https", "127.0.0.1:0"}, io.Discard, ready)
	}()
	var addrs []net.Addr
	for len(addrs) < 3 {
		select {
		case a := <-ready:
			addrs = append(addrs, a)
		case err := <-result:
			t.Fatalf("run: %v", err)
		}
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, // mucd's generated certificate
	}}
	for i, scheme := range []string{"http", "https"} {
		base := scheme + "://" + addrs[i+1].String()
		resp, err := client.Get(base + "/.well-known/host-meta.json")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		ws := strings.Replace(scheme, "http", "ws", 1) + "://" + addrs[i+1].String() + "/xmpp-websocket"
		if resp.StatusCode != 200 || !strings.Contains(string(b), ws) || !strings.Contains(string(b), base+"/http-bind") {
			t.Errorf("%s: %d %s", base, resp.StatusCode, b)
		}
	}
	// XMPP over wss:// with the same certificate: the stream opens, and
	// STARTTLS is not offered inside it.
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	c, err := websocket.Dial(wctx, "wss://"+addrs[2].String()+"/xmpp-websocket", &websocket.DialOptions{HTTPClient: client})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.WriteString(c, `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>`)
	var got strings.Builder
	buf := make([]byte, 4096)
	for !strings.Contains(got.String(), "</stream:features>") {
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("wss: %v (got %s)", err, got.String())
		}
		got.Write(buf[:n])
	}
	if strings.Contains(got.String(), "starttls") || !strings.Contains(got.String(), "PLAIN") {
		t.Errorf("features over wss: %s", got.String())
	}
	go func() { _, _ = io.Copy(io.Discard, c) }() // answers the closing handshake
	cancel()
	if err := <-result; err != nil {
		t.Fatalf("run: %v", err)
	}
}
