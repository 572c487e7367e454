package websocket_test

import (
	"context"
	"encoding/base64"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	ws "github.com/coder/websocket"

	"github.com/muctest/muctest/c2s"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
	"github.com/muctest/muctest/websocket"
)

// start serves an in-process server's WebSocket endpoint on an httptest
// server and returns its ws:// URL.
func start(t *testing.T, cfg server.Config) (*server.Server, string) {
	t.Helper()
	srv := servertest.New(t, cfg)
	h := websocket.NewHandler(websocket.Config{
		Serve: func(c net.Conn, secure bool) error {
			return srv.ServeConn(c, server.TransportOptions{Secure: secure})
		},
		MaxStanzaBytes: cfg.Limits.MaxStanzaBytes,
	})
	hs := httptest.NewServer(h)
	t.Cleanup(func() {
		hs.Close()
		h.Wait()
	})
	return srv, "ws" + strings.TrimPrefix(hs.URL, "http") + websocket.Path
}

// wsClient is a hand-driven RFC 7395 client.
type wsClient struct {
	t *testing.T
	c *ws.Conn
}

func dial(t *testing.T, url string) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, resp, err := ws.Dial(ctx, url, &ws.DialOptions{Subprotocols: []string{"xmpp"}})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	if resp.Header.Get("Sec-WebSocket-Protocol") != "xmpp" {
		t.Fatalf("subprotocol %q", resp.Header.Get("Sec-WebSocket-Protocol"))
	}
	c.SetReadLimit(1 << 20)
	t.Cleanup(func() { _ = c.CloseNow() })
	return &wsClient{t: t, c: c}
}

func (w *wsClient) send(s string) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.c.Write(ctx, ws.MessageText, []byte(s)); err != nil {
		w.t.Fatalf("write: %v", err)
	}
}

// next returns the next message; "" when the WebSocket closed.
func (w *wsClient) next() string {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	typ, b, err := w.c.Read(ctx)
	if err != nil {
		return ""
	}
	if typ != ws.MessageText {
		w.t.Fatalf("message type %v", typ)
	}
	return string(b)
}

func (w *wsClient) expect(prefix string) string {
	w.t.Helper()
	m := w.next()
	if !strings.HasPrefix(m, prefix) {
		w.t.Fatalf("got %q, want a message starting with %q", m, prefix)
	}
	return m
}

// closeStatus reads until the WebSocket closes and returns its status.
func (w *wsClient) closeStatus() ws.StatusCode {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		_, _, err := w.c.Read(ctx)
		if err != nil {
			return ws.CloseStatus(err)
		}
	}
}

const open = `<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="localhost" version="1.0"/>`

// login opens the stream, authenticates with PLAIN and binds.
func (w *wsClient) login(user string) {
	w.t.Helper()
	w.send(open)
	w.expect(`<open xmlns="urn:ietf:params:xml:ns:xmpp-framing"`)
	f := w.expect(`<stream:features xmlns:stream="http://etherx.jabber.org/streams">`)
	if strings.Contains(f, "starttls") {
		w.t.Fatalf("STARTTLS offered over WebSocket: %s", f)
	}
	w.send(`<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="PLAIN">` + base64.StdEncoding.EncodeToString([]byte("\x00"+user+"\x00pw")) + `</auth>`)
	w.expect(`<success xmlns="urn:ietf:params:xml:ns:xmpp-sasl"`)
	w.send(open)
	w.expect(`<open `)
	w.expect(`<stream:features xmlns:stream=`)
	w.send(`<iq xmlns="jabber:client" type="set" id="b1"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"><resource>ws</resource></bind></iq>`)
	w.expect(`<iq xmlns="jabber:client" type="result" id="b1">`)
}

func TestLoginAndMessage(t *testing.T) {
	_, url := start(t, server.Config{})
	a, b := dial(t, url), dial(t, url)
	a.login("alice")
	b.login("bob")
	a.send(`<message xmlns="jabber:client" to="bob@localhost/ws" id="m1"><body>hi &amp; bye</body></message>`)
	got := b.expect(`<message xmlns="jabber:client"`)
	if !strings.Contains(got, `from="alice@localhost/ws"`) || !strings.Contains(got, "<body>hi &amp; bye</body>") {
		t.Fatalf("got %s", got)
	}
	a.send(`<close xmlns="urn:ietf:params:xml:ns:xmpp-framing"/>`)
	a.expect(`<close xmlns="urn:ietf:params:xml:ns:xmpp-framing"/>`)
	if st := a.closeStatus(); st != ws.StatusNormalClosure {
		t.Fatalf("close status %v, want normal closure", st)
	}
}

// TestHostile: every refusal comes with the right HTTP status, stream error
// or close code, and a session opened before keeps being served.
func TestHostile(t *testing.T) {
	_, url := start(t, server.Config{Limits: c2s.Limits{MaxStanzaBytes: 4096}})
	bystander := dial(t, url)
	bystander.login("carol")
	httpURL := "http" + strings.TrimPrefix(url, "ws")

	t.Run("no subprotocol", func(t *testing.T) {
		_, resp, err := ws.Dial(context.Background(), url, nil)
		if err == nil || resp == nil || resp.StatusCode != http.StatusNotImplemented {
			t.Fatalf("err %v, resp %v: want 501", err, resp)
		}
	})
	t.Run("wrong subprotocol", func(t *testing.T) {
		_, resp, err := ws.Dial(context.Background(), url, &ws.DialOptions{Subprotocols: []string{"mqtt"}})
		if err == nil || resp == nil || resp.StatusCode != http.StatusNotImplemented {
			t.Fatalf("err %v, resp %v: want 501", err, resp)
		}
	})
	t.Run("plain GET", func(t *testing.T) {
		resp, err := http.Get(httpURL)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("err %v resp %v", err, resp)
		}
		resp.Body.Close()
	})
	t.Run("POST", func(t *testing.T) {
		resp, err := http.Post(httpURL, "text/xml", strings.NewReader("<x/>"))
		if err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
			t.Fatalf("err %v resp %v", err, resp)
		}
		resp.Body.Close()
	})
	streamError := func(name, cond string, send ...string) {
		t.Run(name, func(t *testing.T) {
			c := dial(t, url)
			for _, s := range send {
				c.send(s)
			}
			for {
				m := c.next()
				if m == "" {
					t.Fatalf("closed without a %s stream error", cond)
				}
				if strings.HasPrefix(m, "<stream:error") {
					if !strings.Contains(m, "<"+cond+" ") {
						t.Fatalf("got %s, want %s", m, cond)
					}
					break
				}
			}
			c.expect(`<close xmlns="urn:ietf:params:xml:ns:xmpp-framing"/>`)
		})
	}
	streamError("two elements in one message", "not-well-formed", open, `<presence/><presence/>`)
	streamError("half an element", "not-well-formed", open, `<message><body>`)
	streamError("text", "not-well-formed", open, `hello`)
	streamError("oversized", "policy-violation", open, `<message><body>`+strings.Repeat("x", 8000)+`</body></message>`)
	streamError("stanza before open", "invalid-namespace", `<message/>`)
	streamError("wrong host", "host-unknown", `<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="example.org" version="1.0"/>`)
	streamError("comment", "restricted-xml", open, `<!-- hi -->`)
	streamError("unauthenticated stanza", "not-authorized", open, `<message xmlns="jabber:client" to="carol@localhost"/>`)

	t.Run("binary message", func(t *testing.T) {
		c := dial(t, url)
		if err := c.c.Write(context.Background(), ws.MessageBinary, []byte(open)); err != nil {
			t.Fatal(err)
		}
		if st := c.closeStatus(); st != ws.StatusUnsupportedData {
			t.Fatalf("close status %v, want 1003", st)
		}
	})
	t.Run("fragmented", func(t *testing.T) {
		// A message in several frames is one message (RFC 6455): it is
		// served like any other.
		c := dial(t, url)
		c.login("dave")
		wr, err := c.c.Writer(context.Background(), ws.MessageText)
		if err != nil {
			t.Fatal(err)
		}
		for _, part := range []string{`<iq xmlns="jabber:client" type="get" id="p1">`, `<ping xmlns="urn:xmpp:ping"/>`, `</iq>`} {
			if _, err := wr.Write([]byte(part)); err != nil {
				t.Fatal(err)
			}
		}
		if err := wr.Close(); err != nil {
			t.Fatal(err)
		}
		c.expect(`<iq xmlns="jabber:client" id="p1"`)
	})
	t.Run("huge message", func(t *testing.T) {
		c := dial(t, url)
		c.send(open)
		c.send(strings.Repeat(" ", 20000))
		m := ""
		for m = c.next(); m != "" && !strings.HasPrefix(m, "<stream:error"); m = c.next() {
		}
		if !strings.Contains(m, "policy-violation") {
			t.Fatalf("got %q", m)
		}
	})

	// Meanwhile the bystander's session is still served.
	bystander.send(`<iq xmlns="jabber:client" type="get" id="alive"><ping xmlns="urn:xmpp:ping"/></iq>`)
	bystander.expect(`<iq xmlns="jabber:client" id="alive"`)
}

// TestIdleTimeout: a bound session silent for Limits.IdleTimeout gets the
// connection-timeout stream error, as over TCP, before the WebSocket
// closes.
func TestIdleTimeout(t *testing.T) {
	t.Parallel() // waits out the 100 ms on a server of its own
	_, url := start(t, server.Config{Limits: c2s.Limits{IdleTimeout: 100 * time.Millisecond}})
	c := dial(t, url)
	c.login("sleepy")
	m := c.next()
	if !strings.HasPrefix(m, "<stream:error") || !strings.Contains(m, "<connection-timeout ") {
		t.Fatalf("got %q, want a connection-timeout stream error", m)
	}
	c.expect(`<close xmlns="urn:ietf:params:xml:ns:xmpp-framing"/>`)
}

// TestConnRate: the server's per-IP connection rate applies to WebSocket
// connections too, with the same policy-violation stream error.
func TestConnRate(t *testing.T) {
	_, url := start(t, server.Config{ConnRate: server.RateLimit{Burst: 1, Per: time.Hour}})
	first := dial(t, url)
	first.login("first")
	c := dial(t, url)
	c.expect(`<open xmlns="urn:ietf:params:xml:ns:xmpp-framing"`)
	if m := c.next(); !strings.HasPrefix(m, "<stream:error") || !strings.Contains(m, "policy-violation") {
		t.Fatalf("got %q, want policy-violation", m)
	}
	c.expect(`<close xmlns="urn:ietf:params:xml:ns:xmpp-framing"/>`)
	first.send(`<iq xmlns="jabber:client" type="get" id="alive"><ping xmlns="urn:xmpp:ping"/></iq>`)
	first.expect(`<iq xmlns="jabber:client" id="alive"`)
}

// TestSlowNegotiation: a WebSocket that never sends its <open/> is closed
// at the negotiation timeout, as a TCP connection would be, while another
// client on the same handler is served before and after that close.
//
// The fast client is on a server of its own with the default timeout, so
// a loaded machine can delay it without racing the slow client's 50 ms:
// one handler hands its first connection to the short-timeout server and
// later ones to the other. The slow client's close is awaited, not timed.
func TestSlowNegotiation(t *testing.T) {
	t.Parallel()
	short := servertest.New(t, server.Config{Limits: c2s.Limits{NegotiationTimeout: 50 * time.Millisecond}})
	long := servertest.New(t, server.Config{})
	first := make(chan struct{})
	var served atomic.Int32
	h := websocket.NewHandler(websocket.Config{
		Serve: func(c net.Conn, secure bool) error {
			if served.Add(1) == 1 {
				close(first)
				return short.ServeConn(c, server.TransportOptions{Secure: secure})
			}
			return long.ServeConn(c, server.TransportOptions{Secure: secure})
		},
	})
	hs := httptest.NewServer(h)
	t.Cleanup(func() {
		hs.Close()
		h.Wait()
	})
	url := "ws" + strings.TrimPrefix(hs.URL, "http") + websocket.Path
	slow := dial(t, url)
	<-first // the slow client is the one on the short-timeout server
	fast := dial(t, url)
	fast.login("fast")
	if m := slow.next(); m != "" {
		t.Fatalf("the silent client got %q, want the connection closed", m)
	}
	fast.send(`<iq xmlns="jabber:client" type="get" id="alive"><ping xmlns="urn:xmpp:ping"/></iq>`)
	fast.expect(`<iq xmlns="jabber:client" id="alive"`)
}
