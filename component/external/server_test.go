package external

import (
	"encoding/xml"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/muctest/muctest/component"
	"github.com/muctest/muctest/xmlnode"
)

const (
	botDomain = "bot.localhost"
	botSecret = "s3cret"
)

// routed collects what components send into the server.
type routed struct {
	mu  sync.Mutex
	got []*xmlnode.Element
	ch  chan struct{}
}

func newRouted() *routed { return &routed{ch: make(chan struct{}, 1000)} }

func (r *routed) Route(st *xmlnode.Element) {
	r.mu.Lock()
	r.got = append(r.got, st)
	r.mu.Unlock()
	r.ch <- struct{}{}
}

// wait returns the next routed stanza.
func (r *routed) wait(t *testing.T) *xmlnode.Element {
	t.Helper()
	select {
	case <-r.ch:
	case <-time.After(10 * time.Second):
		t.Fatal("nothing was routed")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.got[0]
	r.got = r.got[1:]
	return st
}

func (r *routed) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

func startServer(t *testing.T, lim Limits) (*Server, string, *routed) {
	t.Helper()
	rt := newRouted()
	s, err := New(Config{Secrets: map[string]string{botDomain: botSecret, "other.localhost": "x"}, Router: rt, Limits: lim})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-served; err != nil && !errors.Is(err, ErrClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return s, ln.Addr().String(), rt
}

// fakeComponent is the component side, driven by hand.
type fakeComponent struct {
	t  *testing.T
	nc net.Conn
	d  *xml.Decoder
	id string
}

const componentHeader = "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='%s'>"

func dial(t *testing.T, addr string) *fakeComponent {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	nc.SetDeadline(time.Now().Add(20 * time.Second))
	t.Cleanup(func() { nc.Close() })
	return &fakeComponent{t: t, nc: nc, d: xml.NewDecoder(nc)}
}

func (c *fakeComponent) write(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.nc, s); err != nil {
		c.t.Fatal(err)
	}
}

// open sends the header and reads the server's, keeping its id.
func (c *fakeComponent) open(domain string) {
	c.t.Helper()
	c.write(strings.Replace(componentHeader, "%s", domain, 1))
	for {
		tok, err := c.d.Token()
		if err != nil {
			c.t.Fatalf("reading the server's header: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if se.Name.Local != "stream" {
				c.t.Fatalf("got <%s> before the stream header", se.Name.Local)
			}
			for _, a := range se.Attr {
				if a.Name.Local == "id" {
					c.id = a.Value
				}
				if a.Name.Local == "from" && a.Value != domain {
					c.t.Errorf("the server's header is from %q, want %q", a.Value, domain)
				}
			}
			return
		}
	}
}

func (c *fakeComponent) next() (*xmlnode.Element, error) {
	return xmlnode.ReadNext(c.d, xmlnode.Limits{})
}

func (c *fakeComponent) mustNext() *xmlnode.Element {
	c.t.Helper()
	el, err := c.next()
	if err != nil {
		c.t.Fatal(err)
	}
	return el
}

// connect opens and authenticates as domain.
func connect(t *testing.T, addr, domain, secret string) *fakeComponent {
	t.Helper()
	c := dial(t, addr)
	c.open(domain)
	c.write("<handshake>" + Digest(c.id, secret) + "</handshake>")
	if el := c.mustNext(); el.Name.Local != "handshake" || el.Name.Space != NSAccept {
		t.Fatalf("got %s, want <handshake/>", el)
	}
	return c
}

// streamError reads until the stream error and returns its condition
// (the server's header may come first, when the component has not read
// it yet).
func (c *fakeComponent) streamError() string {
	c.t.Helper()
	for {
		tok, err := c.d.Token()
		if err != nil {
			c.t.Fatalf("no stream error: %v", err)
		}
		start, ok := tok.(xml.StartElement)
		if !ok || start.Name.Local == "stream" {
			continue
		}
		el, err := xmlnode.Read(c.d, start, xmlnode.Limits{})
		if err != nil {
			c.t.Fatalf("no stream error: %v", err)
		}
		if el.Name.Space == nsStream && el.Name.Local == "error" {
			for _, ch := range el.Elements() {
				if ch.Name.Space == nsStreams && ch.Name.Local != "text" {
					if _, err := c.next(); !errors.Is(err, xmlnode.ErrEnd) {
						c.t.Errorf("after the stream error: %v, want </stream:stream>", err)
					}
					return ch.Name.Local
				}
			}
			c.t.Fatalf("stream error without a condition: %s", el)
		}
	}
}

func TestDigest(t *testing.T) {
	// Computed with Python's hashlib.sha1, an implementation of its own.
	if got := Digest("3BF96D32", "secret"); got != "b09ea9b3b7f586be8a08d0a3dd7466f110aeb136" {
		t.Fatalf("Digest = %s", got)
	}
}

func TestComponentExchange(t *testing.T) {
	s, addr, rt := startServer(t, Limits{})
	if s.Connected(botDomain) {
		t.Fatal("connected before any component")
	}
	c := connect(t, addr, botDomain, botSecret)
	if !s.Connected(botDomain) {
		t.Fatal("not connected after the handshake")
	}

	// Server to component: the stanza arrives in the component namespace.
	s.Handler("BOT.localhost").HandleStanza(xmlnode.MustParse(
		`<message xmlns='jabber:client' from='romeo@localhost/a' to='echo@bot.localhost' id='m1'><body>hi</body><x xmlns='urn:example'/></message>`))
	got := c.mustNext()
	if got.Name.Space != NSAccept || got.Name.Local != "message" || got.Attrib("from") != "romeo@localhost/a" ||
		got.ChildText(NSAccept, "body") != "hi" || got.Child("urn:example", "x") == nil {
		t.Fatalf("component got %s", got)
	}

	// Component to server: a jabber:client stanza with normalised JIDs.
	c.write(`<message from='Echo@BOT.localhost/x' to='Romeo@localhost/a' id='m2'><body>hi back</body></message>`)
	st := rt.wait(t)
	if st.Name.Space != "jabber:client" || st.Attrib("from") != "echo@bot.localhost/x" || st.Attrib("to") != "romeo@localhost/a" ||
		st.ChildText("jabber:client", "body") != "hi back" {
		t.Fatalf("routed %s", st)
	}
	// Whitespace keepalives are fine.
	c.write("  \n")
	c.write(`<presence from='bot.localhost' to='romeo@localhost'/>`)
	if st := rt.wait(t); st.Name.Local != "presence" {
		t.Fatalf("routed %s", st)
	}

	// The closing handshake.
	c.write("</stream:stream>")
	if _, err := c.next(); !errors.Is(err, xmlnode.ErrEnd) {
		t.Fatalf("after </stream:stream>: %v, want the server's", err)
	}
}

func TestComponentStreamError(t *testing.T) {
	s, addr, rt := startServer(t, Limits{})
	c := connect(t, addr, botDomain, botSecret)
	c.write("<stream:error><internal-server-error xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>")
	// The server closes its stream, without an error of its own.
	if _, err := c.next(); !errors.Is(err, xmlnode.ErrEnd) {
		t.Fatalf("after the component's stream error: %v, want </stream:stream>", err)
	}
	if rt.count() != 0 {
		t.Error("the stream error was routed")
	}
	_ = s
}

func TestBounceWhileDisconnected(t *testing.T) {
	s, _, rt := startServer(t, Limits{})
	h := s.Handler(botDomain)
	for _, tc := range []struct {
		st      string
		bounced bool
	}{
		{`<iq xmlns='jabber:client' type='get' id='q' from='romeo@localhost/a' to='bot.localhost'><query xmlns='jabber:iq:version'/></iq>`, true},
		{`<message xmlns='jabber:client' from='romeo@localhost/a' to='x@bot.localhost'><body>?</body></message>`, true},
		{`<iq xmlns='jabber:client' type='result' id='q' from='romeo@localhost/a' to='bot.localhost'/>`, false},
		{`<message xmlns='jabber:client' type='error' from='romeo@localhost/a' to='x@bot.localhost'/>`, false},
		{`<presence xmlns='jabber:client' from='romeo@localhost/a' to='x@bot.localhost'/>`, false},
	} {
		before := rt.count()
		h.HandleStanza(xmlnode.MustParse(tc.st))
		if got := rt.count() - before; (got == 1) != tc.bounced {
			t.Errorf("%s: %d replies, bounced=%v wanted", tc.st, got, tc.bounced)
			continue
		}
		if tc.bounced {
			r := rt.wait(t)
			if r.Attrib("type") != "error" || r.Attrib("to") != "romeo@localhost/a" || r.Child("", "error").Child("", "service-unavailable") == nil {
				t.Errorf("bounce of %s is %s", tc.st, r)
			}
		}
	}
	if s.Handler("nobody.localhost") != nil {
		t.Error("a handler for a domain that is not configured")
	}
}

func TestStreamErrors(t *testing.T) {
	big := strings.Repeat("a", 2048)
	// authed is a case's run for a component that completes the
	// handshake, then writes what ends its stream.
	authed := func(write string) func(t *testing.T, addr string) *fakeComponent {
		return func(t *testing.T, addr string) *fakeComponent {
			c := connect(t, addr, botDomain, botSecret)
			c.write(write)
			return c
		}
	}
	// raw is one for a connection that writes only what ends its stream.
	raw := func(write string) func(t *testing.T, addr string) *fakeComponent {
		return func(t *testing.T, addr string) *fakeComponent {
			c := dial(t, addr)
			c.write(write)
			return c
		}
	}
	for _, tc := range []struct {
		name string
		lim  Limits
		run  func(t *testing.T, addr string) *fakeComponent
		want string
	}{
		{"bad secret", Limits{}, func(t *testing.T, addr string) *fakeComponent {
			c := dial(t, addr)
			c.open(botDomain)
			c.write("<handshake>" + Digest(c.id, "wrong") + "</handshake>")
			return c
		}, "not-authorized"},
		{"not a handshake", Limits{}, func(t *testing.T, addr string) *fakeComponent {
			c := dial(t, addr)
			c.open(botDomain)
			c.write("<message to='a@localhost' from='bot.localhost'/>")
			return c
		}, "not-authorized"},
		{"unknown host", Limits{}, raw(strings.Replace(componentHeader, "%s", "stranger.localhost", 1)), "host-unknown"},
		{"no to", Limits{}, raw("<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams'>"), "host-unknown"},
		{"client namespace", Limits{}, raw("<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='bot.localhost'>"), "invalid-namespace"},
		{"handshake timeout", Limits{HandshakeTimeout: 50 * time.Millisecond}, func(t *testing.T, addr string) *fakeComponent {
			c := dial(t, addr)
			c.open(botDomain)
			return c
		}, "connection-timeout"},
		{"second component", Limits{}, func(t *testing.T, addr string) *fakeComponent {
			connect(t, addr, botDomain, botSecret)
			c := dial(t, addr)
			c.open(botDomain)
			c.write("<handshake>" + Digest(c.id, botSecret) + "</handshake>")
			return c
		}, "conflict"},
		{"stanza too large", Limits{MaxStanzaBytes: 1024}, authed("<message from='bot.localhost' to='a@localhost'><body>" + big + "</body></message>"), "policy-violation"},
		{"header too large", Limits{MaxStanzaBytes: 1024}, raw("<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='bot.localhost' x='" + big + "'>"), "policy-violation"},
		{"too deep", Limits{MaxDepth: 3}, authed("<message from='bot.localhost' to='a@localhost'><a xmlns='urn:x'><b><c/></b></a></message>"), "policy-violation"},
		{"from another domain", Limits{}, authed("<message from='romeo@localhost' to='juliet@localhost'><body>spoof</body></message>"), "invalid-from"},
		{"no from", Limits{}, authed("<message to='juliet@localhost'/>"), "invalid-from"},
		{"no to on a stanza", Limits{}, authed("<message from='bot.localhost'/>"), "improper-addressing"},
		{"not a stanza", Limits{}, authed("<foo from='bot.localhost' to='a@localhost'/>"), "unsupported-stanza-type"},
		{"text between stanzas", Limits{}, authed("hello<message/>"), "not-well-formed"},
		{"idle", Limits{IdleTimeout: 50 * time.Millisecond}, func(t *testing.T, addr string) *fakeComponent {
			return connect(t, addr, botDomain, botSecret)
		}, "connection-timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, addr, rt := startServer(t, tc.lim)
			c := tc.run(t, addr)
			if got := c.streamError(); got != tc.want {
				t.Errorf("stream error %s, want %s", got, tc.want)
			}
			if n := rt.count(); n != 0 {
				t.Errorf("%d stanzas routed from a refused stream", n)
			}
			_ = s
		})
	}
}

// pipeListener hands out one side of net.Pipe connections: writes block
// until the other side reads, so a component that does not read is
// exactly that.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error   { l.once.Do(func() { close(l.done) }); return nil }
func (l *pipeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

func (l *pipeListener) dial() net.Conn {
	a, b := net.Pipe()
	l.conns <- a
	return b
}

func TestSlowComponentIsDisconnected(t *testing.T) {
	rt := newRouted()
	s, err := New(Config{Secrets: map[string]string{botDomain: botSecret}, Router: rt, Limits: Limits{MaxQueue: 3}})
	if err != nil {
		t.Fatal(err)
	}
	ln := newPipeListener()
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	defer func() {
		s.Close()
		<-served
	}()
	nc := ln.dial()
	defer nc.Close()
	c := &fakeComponent{t: t, nc: nc, d: xml.NewDecoder(nc)}
	nc.SetDeadline(time.Now().Add(20 * time.Second))
	c.open(botDomain)
	c.write("<handshake>" + Digest(c.id, botSecret) + "</handshake>")
	if el := c.mustNext(); el.Name.Local != "handshake" {
		t.Fatalf("got %s", el)
	}
	// The component reads nothing now: the writer blocks on its first
	// batch, three more stanzas fill the queue, the next one ends the
	// stream and is bounced to its sender.
	h := s.Handler(botDomain)
	st := xmlnode.MustParse(`<message xmlns='jabber:client' from='romeo@localhost/r' to='bot.localhost'><body>x</body></message>`)
	for i := 0; rt.count() == 0; i++ {
		if i == 100 {
			t.Fatal("100 stanzas queued for a component that reads nothing")
		}
		h.HandleStanza(st)
	}
	if b := rt.wait(t); b.Attrib("type") != "error" || b.Attrib("to") != "romeo@localhost/r" {
		t.Errorf("the stanza over the limit was answered with %s", b)
	}
	if got := c.streamError(); got != "resource-constraint" {
		t.Fatalf("stream error %s, want resource-constraint", got)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	r := component.RouterFunc(func(*xmlnode.Element) {})
	for name, cfg := range map[string]Config{
		"not a domain":   {Secrets: map[string]string{"user@a.localhost": "x"}, Router: r},
		"empty secret":   {Secrets: map[string]string{"a.localhost": ""}, Router: r},
		"duplicate case": {Secrets: map[string]string{"a.localhost": "x", "A.localhost": "y"}, Router: r},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: New accepted %+v", name, cfg)
		}
	}
}

func TestServeNeedsARouter(t *testing.T) {
	s, err := New(Config{Secrets: map[string]string{botDomain: botSecret}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Serve(ln); err == nil || !strings.Contains(err.Error(), "Router") {
		t.Fatalf("Serve without a router: %v", err)
	}
}

// TestBusyBalances checks the idle accounting the main server's WaitIdle
// relies on: work is counted while it happens, and every count is given
// back once the streams have ended.
func TestBusyBalances(t *testing.T) {
	var mu sync.Mutex
	cur, peak := 0, 0
	rt := newRouted()
	s, err := New(Config{Secrets: map[string]string{botDomain: botSecret}, Router: rt, Busy: func(d int) {
		mu.Lock()
		defer mu.Unlock()
		cur += d
		if cur < 0 {
			t.Errorf("busy count went negative")
		}
		peak = max(peak, cur)
	}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	c := connect(t, ln.Addr().String(), botDomain, botSecret)
	s.Handler(botDomain).HandleStanza(xmlnode.MustParse(`<message xmlns='jabber:client' from='a@localhost' to='bot.localhost'/>`))
	c.mustNext()
	c.write(`<message from='bot.localhost' to='a@localhost'/>`)
	rt.wait(t)
	// A second component: refused, its error queued and written.
	c2 := dial(t, ln.Addr().String())
	c2.open("stranger.localhost")
	c2.streamError()
	c.write("</stream:stream>")
	if _, err := c.next(); !errors.Is(err, xmlnode.ErrEnd) {
		t.Fatal(err)
	}
	c.nc.Close()
	c2.nc.Close()
	s.Close()
	<-served
	mu.Lock()
	defer mu.Unlock()
	if cur != 0 || peak == 0 {
		t.Errorf("busy count %d after Close (peak %d), want 0 (and a positive peak)", cur, peak)
	}
}
