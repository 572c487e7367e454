package bosh_test

import (
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/muctest/muctest/bosh"
	"github.com/muctest/muctest/c2s"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
)

func start(t *testing.T, cfg server.Config, bcfg bosh.Config) (*server.Server, *bosh.Handler, string) {
	t.Helper()
	srv := servertest.New(t, cfg)
	bcfg.Serve = func(c net.Conn, secure bool) error {
		return srv.ServeConn(c, server.TransportOptions{Secure: secure})
	}
	bcfg.Domain = srv.Domain()
	h := bosh.NewHandler(bcfg)
	hs := httptest.NewServer(h)
	t.Cleanup(func() {
		// The server first: its sessions end, which answers held requests.
		_ = srv.Close()
		hs.Close()
		h.Wait()
	})
	return srv, h, hs.URL + bosh.Path
}

// client is a hand-driven BOSH client.
type client struct {
	t   *testing.T
	url string
	sid string
	rid int64
}

func post(t *testing.T, url, body string) (int, string, http.Header) {
	t.Helper()
	resp, err := http.Post(url, "text/xml; charset=utf-8", strings.NewReader(body))
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

var sidRE = regexp.MustCompile(`sid="([^"]+)"`)

func newClient(t *testing.T, url string) (*client, string) { return newClientHold(t, url, 1) }

// newClientHold creates a session with hold (0: polling, every request
// answered at once).
func newClientHold(t *testing.T, url string, hold int) (*client, string) {
	t.Helper()
	c := &client{t: t, url: url, rid: 1000}
	status, body, _ := post(t, url, `<body xmlns="http://jabber.org/protocol/httpbind" rid="1000" to="localhost" wait="10" hold="`+fmt.Sprint(hold)+`" ver="1.6" xml:lang="en" xmpp:version="1.0" xmlns:xmpp="urn:xmpp:xbosh"/>`)
	m := sidRE.FindStringSubmatch(body)
	if status != 200 || m == nil {
		t.Fatalf("session creation: %d %s", status, body)
	}
	c.sid = m[1]
	return c, body
}

// send posts payload in the next request and returns the answer.
func (c *client) send(attrs, payload string) (int, string) {
	c.t.Helper()
	c.rid++
	status, body, _ := post(c.t, c.url, fmt.Sprintf(`<body xmlns="http://jabber.org/protocol/httpbind" xmlns:xmpp="urn:xmpp:xbosh" rid="%d" sid="%s"%s>%s</body>`, c.rid, c.sid, attrs, payload))
	return status, body
}

// sendAsync posts the next request in a goroutine: its answer arrives on
// the channel.
func (c *client) sendAsync(attrs, payload string) <-chan string {
	c.rid++
	body := fmt.Sprintf(`<body xmlns="http://jabber.org/protocol/httpbind" xmlns:xmpp="urn:xmpp:xbosh" rid="%d" sid="%s"%s>%s</body>`, c.rid, c.sid, attrs, payload)
	ch := make(chan string, 1)
	go func() {
		resp, err := http.Post(c.url, "text/xml", strings.NewReader(body))
		if err != nil {
			ch <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		ch <- string(b)
	}()
	return ch
}

// await posts empty requests until one answers with want in it.
func (c *client) await(want string) string {
	c.t.Helper()
	for range 20 {
		status, body := c.send("", "")
		if status != 200 {
			c.t.Fatalf("status %d: %s", status, body)
		}
		if strings.Contains(body, want) {
			return body
		}
		if strings.Contains(body, `type="terminate"`) {
			c.t.Fatalf("terminated waiting for %q: %s", want, body)
		}
	}
	c.t.Fatalf("no %q", want)
	return ""
}

func (c *client) login(user string) {
	c.t.Helper()
	_, body := c.send("", `<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="PLAIN">`+base64.StdEncoding.EncodeToString([]byte("\x00"+user+"\x00pw"))+`</auth>`)
	if !strings.Contains(body, "<success") {
		c.await("<success")
	}
	_, body = c.send(` xmpp:restart="true"`, "")
	if !strings.Contains(body, "urn:ietf:params:xml:ns:xmpp-bind") {
		c.await("urn:ietf:params:xml:ns:xmpp-bind")
	}
	_, body = c.send("", `<iq xmlns="jabber:client" type="set" id="b1"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"><resource>bosh</resource></bind></iq>`)
	if !strings.Contains(body, "<jid>") {
		c.await("<jid>")
	}
}

func TestSession(t *testing.T) {
	t.Parallel() // servers of its own
	_, _, url := start(t, server.Config{}, bosh.Config{})
	a, created := newClient(t, url)
	for _, want := range []string{`<stream:features`, `mechanism>PLAIN<`, `authid="`, `requests="2"`, `xmpp:version="1.0"`} {
		if !strings.Contains(created, want) {
			t.Errorf("creation response lacks %s: %s", want, created)
		}
	}
	if strings.Contains(created, "starttls") {
		t.Errorf("STARTTLS offered over BOSH: %s", created)
	}
	b, _ := newClient(t, url)
	a.login("alice")
	b.login("bob")

	// bob holds a request; alice's message answers it. alice's own
	// request is held too (nothing comes back to her) until she sends the
	// next one.
	bobGot := b.sendAsync("", "")
	aliceHeld := a.sendAsync("", `<message xmlns="jabber:client" to="bob@localhost/bosh" id="m1"><body>hi</body></message>`)
	if body := <-bobGot; !strings.Contains(body, `<message xmlns="jabber:client"`) || !strings.Contains(body, `from="alice@localhost/bosh"`) {
		t.Fatalf("bob got %s", body)
	}

	// Retransmission: a lost answer is given again for the same rid.
	_, poll := b.send(` xmlns:x="y"`, `<iq xmlns="jabber:client" type="get" id="p2"><ping xmlns="urn:xmpp:ping"/></iq>`)
	status, again, _ := post(t, url, fmt.Sprintf(`<body xmlns="http://jabber.org/protocol/httpbind" rid="%d" sid="%s"/>`, b.rid, b.sid))
	if status != 200 || again != poll {
		t.Fatalf("retransmission: %d %s, first answer %s", status, again, poll)
	}

	status, end := a.send(` type="terminate"`, `<presence xmlns="jabber:client" type="unavailable"/>`)
	if status != 200 || !strings.Contains(end, `type="terminate"`) {
		t.Fatalf("terminate: %d %s", status, end)
	}
	if body := <-aliceHeld; !strings.Contains(body, "<body") {
		t.Fatalf("alice's held request: %s", body)
	}
	status, after := a.send("", "")
	if status != http.StatusNotFound || !strings.Contains(after, "item-not-found") {
		t.Fatalf("after terminate: %d %s", status, after)
	}
}

func TestHostile(t *testing.T) {
	t.Parallel() // servers of its own
	_, h, url := start(t, server.Config{}, bosh.Config{MaxBodyBytes: 4096})
	bystander, _ := newClient(t, url)
	bystander.login("carol")

	cases := []struct {
		name, body string
		status     int
		cond       string
	}{
		{"not XML", "hello", 400, "bad-request"},
		{"not a body", `<iq xmlns="jabber:client"/>`, 400, "bad-request"},
		{"unclosed", `<body xmlns="http://jabber.org/protocol/httpbind" rid="1" to="localhost">`, 400, "bad-request"},
		{"no rid", `<body xmlns="http://jabber.org/protocol/httpbind" to="localhost"/>`, 400, "bad-request"},
		{"bad rid", `<body xmlns="http://jabber.org/protocol/httpbind" rid="-5" to="localhost"/>`, 400, "bad-request"},
		{"unknown sid", `<body xmlns="http://jabber.org/protocol/httpbind" rid="5" sid="nope"/>`, 404, "item-not-found"},
		{"too large", `<body xmlns="http://jabber.org/protocol/httpbind" rid="5">` + strings.Repeat(" ", 5000) + `</body>`, 413, "policy-violation"},
		{"text in body", `<body xmlns="http://jabber.org/protocol/httpbind" rid="5" sid="x">hi</body>`, 400, "bad-request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body, hdr := post(t, url, tc.body)
			if status != tc.status || !strings.Contains(body, `condition="`+tc.cond+`"`) {
				t.Fatalf("got %d %s, want %d %s", status, body, tc.status, tc.cond)
			}
			if hdr.Get("Access-Control-Allow-Origin") != "*" {
				t.Fatalf("no CORS header on an error: %v", hdr)
			}
		})
	}
	t.Run("rid out of window", func(t *testing.T) {
		c, _ := newClient(t, url)
		c.rid += 5
		status, body := c.send("", "")
		if status != 404 || !strings.Contains(body, "item-not-found") {
			t.Fatalf("got %d %s", status, body)
		}
		if status, _ := c.send("", ""); status != 404 {
			t.Fatalf("session still alive after a bad rid: %d", status)
		}
	})
	t.Run("stale rid", func(t *testing.T) {
		c, _ := newClientHold(t, url, 0)
		c.send("", "")
		c.send("", "")
		c.send("", "")
		c.rid -= 3 // older than the answers kept
		status, body := c.send("", "")
		if status != 404 || !strings.Contains(body, "item-not-found") {
			t.Fatalf("got %d %s", status, body)
		}
	})
	t.Run("flood", func(t *testing.T) {
		c, _ := newClient(t, url)
		// Eight requests open at once where two are allowed: the session
		// ends (policy-violation for the third, item-not-found for the
		// others), and every request is answered. Each skips the rid the
		// session waits for next, so none can be answered in the ordinary
		// way and free its slot for the next, however late it arrives:
		// requests sent at once may reach the server one by one, and a
		// window that slides meanwhile would rightly accept them all.
		var wg sync.WaitGroup
		statuses := make(chan int, 8)
		for range 8 {
			wg.Add(1)
			go func(rid int64) {
				defer wg.Done()
				s, _, _ := post(t, url, fmt.Sprintf(`<body xmlns="http://jabber.org/protocol/httpbind" rid="%d" sid="%s"/>`, rid, c.sid))
				statuses <- s
			}(c.rid + 2)
		}
		wg.Wait()
		close(statuses)
		refused := 0
		for s := range statuses {
			if s == 403 || s == 404 {
				refused++
			}
		}
		if refused != 8 {
			t.Fatalf("%d of 8 requests refused, want all", refused)
		}
		c.rid += 8
		if status, _ := c.send("", ""); status != 404 {
			t.Fatalf("session alive after a flood: %d", status)
		}
	})
	t.Run("stream error", func(t *testing.T) {
		c, _ := newClient(t, url)
		status, body := c.send("", `<message xmlns="jabber:client" to="carol@localhost"/>`)
		for status == 200 && !strings.Contains(body, "terminate") {
			status, body = c.send("", "")
		}
		if !strings.Contains(body, `condition="remote-stream-error"`) || !strings.Contains(body, "not-authorized") {
			t.Fatalf("got %d %s", status, body)
		}
	})
	t.Run("preflight", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodOptions, url, nil)
		req.Header.Set("Origin", "http://example.org")
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "*" ||
			!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Content-Type") ||
			!strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "POST") {
			t.Fatalf("preflight: %d %v", resp.StatusCode, resp.Header)
		}
	})

	// The bystander is still served.
	_, body := bystander.send("", `<iq xmlns="jabber:client" type="get" id="alive"><ping xmlns="urn:xmpp:ping"/></iq>`)
	if !strings.Contains(body, `id="alive"`) {
		bystander.await(`id="alive"`)
	}
	if n := h.Sessions(); n == 0 {
		t.Fatal("the bystander's session is gone")
	}
}

// TestInactivity: a session without requests for Inactivity is ended, and
// the server tears its stream down like a vanished TCP client's.
func TestInactivity(t *testing.T) {
	t.Parallel() // servers of its own
	srv := servertest.New(t, server.Config{})
	ended := make(chan struct{}, 1)
	h := bosh.NewHandler(bosh.Config{
		Inactivity: 50 * time.Millisecond,
		Domain:     srv.Domain(),
		Serve: func(c net.Conn, secure bool) error {
			err := srv.ServeConn(c, server.TransportOptions{Secure: secure})
			ended <- struct{}{}
			return err
		},
	})
	hs := httptest.NewServer(h)
	t.Cleanup(func() {
		_ = srv.Close()
		hs.Close()
		h.Wait()
	})
	// No login: the gaps between its requests are inactivity too, and
	// one longer than Inactivity (a loaded machine) ended the session
	// mid-login. The stream served since the creation request is the one
	// torn down.
	c, _ := newClient(t, hs.URL)
	select {
	case <-ended:
	case <-time.After(20 * time.Second): // a hung test, not a measurement
		t.Fatal("the idle session was not ended")
	}
	// Its stream has ended; the handler forgets the session after that,
	// before its serving goroutine is done.
	h.Wait()
	if status, body := c.send("", ""); status != http.StatusNotFound || !strings.Contains(body, "item-not-found") {
		t.Fatalf("after inactivity: %d %s", status, body)
	}
	if n := h.Sessions(); n != 0 {
		t.Fatalf("%d sessions left", n)
	}
}

// TestUnknownHost: a session for a domain the server does not serve ends
// at once with the host-unknown stream error inside remote-stream-error.
func TestUnknownHost(t *testing.T) {
	t.Parallel() // servers of its own
	_, _, url := start(t, server.Config{}, bosh.Config{})
	status, body, _ := post(t, url, `<body xmlns="http://jabber.org/protocol/httpbind" rid="7" to="example.org" wait="10" hold="1" xmpp:version="1.0" xmlns:xmpp="urn:xmpp:xbosh"/>`)
	if status != 200 || !strings.Contains(body, `type="terminate"`) || !strings.Contains(body, `condition="remote-stream-error"`) || !strings.Contains(body, "host-unknown") {
		t.Fatalf("got %d %s", status, body)
	}
}

// TestConnRate: the server's per-IP connection rate applies to BOSH
// session creation, with its policy-violation stream error.
func TestConnRate(t *testing.T) {
	t.Parallel() // servers of its own
	_, _, url := start(t, server.Config{ConnRate: server.RateLimit{Burst: 1, Per: time.Hour}}, bosh.Config{})
	first, _ := newClient(t, url)
	status, body, _ := post(t, url, `<body xmlns="http://jabber.org/protocol/httpbind" rid="7" to="localhost" wait="10" hold="1" xmpp:version="1.0" xmlns:xmpp="urn:xmpp:xbosh"/>`)
	if status != 200 || !strings.Contains(body, `condition="remote-stream-error"`) || !strings.Contains(body, "policy-violation") {
		t.Fatalf("second session: %d %s", status, body)
	}
	first.login("first")
}

// TestServerEndsStream: when the server ends a session's stream while no
// request is held (here: the same resource logs in elsewhere), the next
// request gets the terminating body with the stream error, not
// item-not-found.
func TestServerEndsStream(t *testing.T) {
	t.Parallel() // servers of its own
	_, _, url := start(t, server.Config{}, bosh.Config{})
	a, _ := newClient(t, url)
	a.login("dup")
	b, _ := newClient(t, url)
	b.login("dup") // same full JID: a's stream ends with conflict
	status, body := a.send("", "")
	for status == 200 && !strings.Contains(body, `type="terminate"`) {
		status, body = a.send("", "")
	}
	if status != 200 || !strings.Contains(body, `condition="remote-stream-error"`) || !strings.Contains(body, "<conflict") {
		t.Fatalf("got %d %s", status, body)
	}
	if status, body := a.send("", ""); status != http.StatusNotFound {
		t.Fatalf("after the terminate: %d %s", status, body)
	}
}

// TestIdleTimeout: the server's idle limit ends a silent BOSH session
// with the connection-timeout stream error, as over TCP; the held request
// carries it.
func TestIdleTimeout(t *testing.T) {
	t.Parallel() // servers of its own
	_, _, url := start(t, server.Config{Limits: c2s.Limits{IdleTimeout: 100 * time.Millisecond}}, bosh.Config{})
	c, _ := newClient(t, url)
	c.login("sleepy")
	status, body := c.send("", "")
	for status == 200 && !strings.Contains(body, `type="terminate"`) {
		status, body = c.send("", "")
	}
	if !strings.Contains(body, `condition="remote-stream-error"`) || !strings.Contains(body, "<connection-timeout") {
		t.Fatalf("got %d %s", status, body)
	}
}
