// Package moduletest unit-tests server modules (package module) without a
// socket, in the spirit of net/http/httptest's ResponseRecorder: a Server
// is a real router (package router) with only the modules a test names;
// Login binds a session whose deliveries are recorded instead of written;
// Send feeds a stanza as that session's client would; Expect compares
// what was routed to it, whole stanza by whole stanza, with the scansion
// rules of package match.
//
//	s := moduletest.New(t, ping.Module{})
//	alice := s.Login("alice@localhost/phone")
//	alice.Send(`<iq type="get" id="1" to="localhost"><ping xmlns="urn:xmpp:ping"/></iq>`)
//	alice.Expect(`<iq type="result" id="1" from="localhost" to="alice@localhost/phone"/>`)
//
// Everything runs in the test's goroutine, as the router runs a stanza in
// its sender's: when Send returns, what the stanza caused has been routed,
// the replies handlers finish after the lock is released
// (module.Context.RouteLater) included; deliveries a component defers, and
// later replies to a component's stanza, are waited for by Received and
// Expect.
package moduletest

import (
	"encoding/xml"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"
	"mellium.im/xmpp/stream"

	"github.com/muctest/muctest/c2sapi"
	"github.com/muctest/muctest/match"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/quota"
	"github.com/muctest/muctest/router"
	"github.com/muctest/muctest/xmlnode"
)

// Config sets up a Server; the zero value serves "localhost" in
// any-password mode with no module.
type Config struct {
	Domain  string
	Modules []module.Module
	// Accounts, when set, are the only accounts (name -> password);
	// otherwise every account exists.
	Accounts map[string]string
	// Components are domains where a Recorder is mounted, to see what
	// the modules route to a component (Server.Component).
	Components []string
	// Logger receives the router's logs (a recovered panic's stack among
	// them); nil discards them.
	Logger *slog.Logger
	// Quotas are the router's limits (zero fields at package quota's
	// defaults), for modules' tests of what happens past them.
	Quotas quota.Limits
}

// Server is a router for module tests. It is closed by t.Cleanup.
type Server struct {
	// Router is the router under test, for what the harness does not wrap
	// (its Registrar, HTTPHandler, Route for a component's stanzas).
	Router *router.Router
	t      testing.TB
	domain string

	mu   sync.Mutex
	cond *sync.Cond
	busy int

	recorders map[string]*Recorder
	wire      wireForm
}

// New starts a Server on "localhost" with mods.
func New(t testing.TB, mods ...module.Module) *Server {
	t.Helper()
	return NewConfig(t, Config{Modules: mods})
}

// NewConfig starts a Server for cfg; a registration error fails the test.
func NewConfig(t testing.TB, cfg Config) *Server {
	t.Helper()
	s := &Server{t: t, domain: cfg.Domain}
	if s.domain == "" {
		s.domain = "localhost"
	}
	s.cond = sync.NewCond(&s.mu)
	mods := cfg.Modules
	if len(cfg.Components) > 0 {
		s.recorders = map[string]*Recorder{}
		mods = append(slices.Clip(mods), module.New("moduletest.components", func(r *module.Registrar) error {
			for _, d := range cfg.Components {
				rec := &Recorder{s: s}
				s.recorders[d] = rec
				r.Component(d, rec)
			}
			return nil
		}))
	}
	r, err := router.New(router.Config{
		Domain:      s.domain,
		Accounts:    cfg.Accounts,
		AnyPassword: cfg.Accounts == nil,
		Busy:        s.add,
		Logger:      cfg.Logger,
		Modules:     mods,
		Quotas:      cfg.Quotas,
	})
	if err != nil {
		t.Fatalf("moduletest: %v", err)
	}
	s.Router = r
	t.Cleanup(func() {
		r.Shutdown()
		_ = r.Close()
	})
	return s
}

func (s *Server) add(d int) {
	s.mu.Lock()
	s.busy += d
	if s.busy == 0 {
		s.cond.Broadcast()
	}
	s.mu.Unlock()
}

// Wait returns once nothing the router deferred (deliveries to components
// after a component's Route) is left in flight.
func (s *Server) Wait() {
	s.mu.Lock()
	for s.busy > 0 {
		s.cond.Wait()
	}
	s.mu.Unlock()
}

// Domain is the server's domain.
func (s *Server) Domain() string { return s.domain }

// Component returns the Recorder mounted at domain (Config.Components);
// a domain that has none fails the test.
func (s *Server) Component(domain string) *Recorder {
	s.t.Helper()
	rec := s.recorders[domain]
	if rec == nil {
		s.t.Fatalf("moduletest: no component recorder at %s (Config.Components)", domain)
	}
	return rec
}

// Recorder is a component that records the stanzas routed to it.
type Recorder struct {
	s *Server
	c conn
}

// HandleStanza implements component.Handler.
func (r *Recorder) HandleStanza(st *xmlnode.Element) { r.c.Send(st) }

// Received returns, and forgets, what was routed to the component.
func (r *Recorder) Received() []*xmlnode.Element {
	r.s.Wait()
	return r.c.take()
}

// Client is a bound session whose deliveries are recorded.
type Client struct {
	// JID is the session's full JID.
	JID jid.JID
	s   *Server
	t   testing.TB
	h   c2sapi.Handler
	c   *conn
}

// In returns the client failing t instead of the test that made the
// Server, for subtests: a subtest must not fail its parent.
func (c *Client) In(t testing.TB) *Client {
	cc := *c
	cc.t = t
	return &cc
}

// Login binds a session for full (a full JID on the server's domain) and
// drops the bind result; the SessionBound hooks have run when it returns.
func (s *Server) Login(full string) *Client {
	s.t.Helper()
	j, err := jid.Parse(full)
	if err != nil || j.Resourcepart() == "" || j.Domainpart() != s.domain {
		s.t.Fatalf("moduletest: Login(%q): want a full JID on %s", full, s.domain)
	}
	c := &conn{wire: &s.wire}
	reply := xmlnode.New(stanza.NSClient, "iq", "type", "result", "id", "bind")
	h, err := s.Router.Bind(c, j, reply)
	if err != nil {
		s.t.Fatalf("moduletest: bind %s: %v", full, err)
	}
	cl := &Client{JID: j, s: s, t: s.t, h: h, c: c}
	cl.c.take() // the bind result
	return cl
}

// Send parses stanza (one element, in jabber:client when it declares no
// namespace), stamps its "from" with the session's JID as c2s does, and
// routes it. A parse error fails the test.
func (c *Client) Send(stanza string) {
	c.t.Helper()
	el, err := parse(stanza)
	if err != nil {
		c.t.Fatalf("moduletest: Send: %v", err)
	}
	c.SendElement(el)
}

// SendElement routes el as the session's client would have sent it.
func (c *Client) SendElement(el *xmlnode.Element) {
	el.SetAttr("from", c.JID.String())
	c.h.HandleStanza(el)
}

// Close ends the session as a dropped connection does (reason
// "connection closed"), running the unbinding hooks.
func (c *Client) Close() { c.h.Close("connection closed") }

// Received returns, and forgets, every stanza routed to the session since
// the last call, in order.
func (c *Client) Received() []*xmlnode.Element {
	c.s.Wait()
	return c.c.take()
}

// Closed reports the stream error the router closed the session with
// (conflict when a newer session took its resource), or "".
func (c *Client) Closed() string {
	c.c.mu.Lock()
	defer c.c.mu.Unlock()
	return c.c.closed
}

// Expect checks that the stanzas routed to the session since the last
// Received or Expect are exactly the expected ones, in order, each
// compared whole by match.Match (scansion's rules: jabber:client elements
// loosely, payloads strictly, {scansion:any} for any value). Any
// difference, missing or extra stanza fails the test.
func (c *Client) Expect(expected ...string) {
	c.t.Helper()
	got := c.Received()
	for i, e := range expected {
		want, err := parse(e)
		if err != nil {
			c.t.Fatalf("moduletest: Expect: %v", err)
		}
		if i >= len(got) {
			c.t.Fatalf("%s: stanza %d missing: want %s (got %d stanzas)", c.JID, i+1, e, len(got))
		}
		if m := match.Match(want, got[i]); m != nil {
			c.t.Fatalf("%s: stanza %d differs: %v\nwant %s\n%s", c.JID, i+1, m, e, match.FormatMismatch(got[i], m))
		}
	}
	if len(got) > len(expected) {
		c.t.Fatalf("%s: %d unexpected stanzas, the first: %s", c.JID, len(got)-len(expected), got[len(expected)])
	}
}

// ExpectNothing checks that nothing was routed to the session.
func (c *Client) ExpectNothing() {
	c.t.Helper()
	c.Expect()
}

func parse(s string) (*xmlnode.Element, error) {
	d := xml.NewDecoder(strings.NewReader(`<wrap xmlns="jabber:client" xmlns:scansion="scansion">` + s + `</wrap>`))
	root, err := xmlnode.ReadNext(d, xmlnode.Limits{})
	if err != nil {
		return nil, fmt.Errorf("parse %q: %w", s, err)
	}
	els := root.Elements()
	if len(els) != 1 {
		return nil, fmt.Errorf("parse %q: want one element, got %d", s, len(els))
	}
	return els[0], nil
}

// conn records what the router delivers to one session (router.Conn).
type conn struct {
	mu     sync.Mutex
	got    []*xmlnode.Element
	closed string
	wire   *wireForm
}

func (c *conn) Send(st *xmlnode.Element) {
	el := c.wire.of(st)
	c.mu.Lock()
	c.got = append(c.got, el)
	c.mu.Unlock()
}

// wireForm makes what a client reads off the wire from what the router
// delivers: a deep copy, with every stored payload kept serialised
// (xmlnode.Raw, pubsub items, MUC history) parsed back. A notification to
// many sessions shares one Raw: the last one parsed is kept and copied,
// so that a fan-out parses its payload once, as a benchmark of it wants.
type wireForm struct {
	mu    sync.Mutex
	raw   *xmlnode.Raw
	nodes []xmlnode.Node
}

func (w *wireForm) of(st *xmlnode.Element) *xmlnode.Element {
	c := &xmlnode.Element{Name: st.Name, Attr: slices.Clone(st.Attr)}
	for _, n := range st.Children {
		switch n := n.(type) {
		case *xmlnode.Element:
			c.Children = append(c.Children, w.of(n))
		case *xmlnode.Raw:
			c.Children = append(c.Children, w.parsed(n)...)
		default:
			c.Children = append(c.Children, n)
		}
	}
	return c
}

// parsed returns a copy of r's nodes.
func (w *wireForm) parsed(r *xmlnode.Raw) []xmlnode.Node {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.raw != r {
		nodes, err := r.Nodes()
		if err != nil {
			return []xmlnode.Node{r}
		}
		w.raw, w.nodes = r, nodes
	}
	out := make([]xmlnode.Node, len(w.nodes))
	for i, n := range w.nodes {
		if el, ok := n.(*xmlnode.Element); ok {
			n = el.Copy()
		}
		out[i] = n
	}
	return out
}

func (c *conn) SendTo(st *xmlnode.Element, to string) {
	c.Send(st.ShallowCopy().SetAttr("to", to))
}

func (c *conn) CloseWithError(cond stream.Error, text string) {
	c.mu.Lock()
	c.closed = cond.Err
	c.mu.Unlock()
}

func (c *conn) take() []*xmlnode.Element {
	c.mu.Lock()
	defer c.mu.Unlock()
	got := slices.Clone(c.got)
	c.got = c.got[:0]
	return got
}
