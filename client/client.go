// Package client is a minimal raw XMPP client (RFC 6120, and XEP-0114 for
// components) over TCP: it
// negotiates the stream (optional STARTTLS, SASL PLAIN / SCRAM-SHA-1 /
// SCRAM-SHA-256, resource binding, legacy session) and then moves whole
// stanzas as *xmlnode.Element in both directions.
//
// DialComponent connects as an XEP-0114 external component instead (the
// handshake with the shared secret); the Conn then works the same, with
// stanzas given in jabber:client. Close ends a stream with the closing
// handshake, Drop and Abort without it, as a client that vanishes would.
//
// It does nothing on its own after the stream is up: no roster, no presence,
// no automatic replies. That is the point: the scansion runner (package
// script) and the benchmark (cmd/mucbench) need to see exactly what the
// server sends and to send exactly what the script says.
//
// One reader goroutine per connection parses incoming stanzas into an
// unbounded queue that Recv pops (with a one-pass parser for the XML
// servers write, and encoding/xml for anything else, with the same
// results); Send serialises into a reused buffer and
// writes it with one system call. Nothing else runs per stanza, so a
// benchmark can hold a thousand connections cheaply.
package client

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"mellium.im/sasl"

	"github.com/muctest/muctest/xmlnode"
)

// Namespaces used during stream negotiation.
const (
	NSClient  = "jabber:client"
	NSStream  = "http://etherx.jabber.org/streams"
	NSTLS     = "urn:ietf:params:xml:ns:xmpp-tls"
	NSSASL    = "urn:ietf:params:xml:ns:xmpp-sasl"
	NSBind    = "urn:ietf:params:xml:ns:xmpp-bind"
	NSSession = "urn:ietf:params:xml:ns:xmpp-session"
	NSStanzas = "urn:ietf:params:xml:ns:xmpp-stanzas"
)

// Config says who to log in as and how.
type Config struct {
	// JID is the account's bare JID, user@domain. Its localpart is the
	// SASL username.
	JID string
	// Password is the account password.
	Password string
	// Resource is the resource to request at bind; empty lets the server
	// choose one.
	Resource string
	// Domain is the stream's "to"; the JID's domain when empty.
	Domain string
	// TLS makes the client use STARTTLS; Dial fails if the server does not
	// offer it. InsecureSkipVerify skips certificate checks (test servers
	// use self-signed certificates). TLSConfig, when set, is used as is.
	TLS                bool
	InsecureSkipVerify bool
	TLSConfig          *tls.Config
	// Mechanism forces a SASL mechanism ("PLAIN", "SCRAM-SHA-1",
	// "SCRAM-SHA-256"), or lists several by preference, comma-separated
	// ("PLAIN,SCRAM-SHA-256": the first one offered is used). When empty
	// the strongest one offered is used.
	Mechanism string
	// Timeout bounds the whole negotiation in Dial (in addition to the
	// context) and the closing handshake in Close. Default 10s.
	Timeout time.Duration
	// Limits bound stanzas read from the server; zero means the package
	// defaults (depth 64, 256 attributes).
	Limits xmlnode.Limits
	// PipelinePlain sends the whole login in one write: the first stream
	// header, the SASL PLAIN <auth/>, the restarted stream's header and
	// the bind request, without waiting for the features or the SASL
	// success (one round trip per login instead of three). Only for a server known to offer PLAIN without
	// STARTTLS, such as the in-process test server; any other server
	// answers with a SASL failure or an error, which Dial returns.
	// Ignored with TLS.
	PipelinePlain bool
	// ReadInline reads the stream in the goroutine that asks for stanzas
	// (Recv, RecvContext, AwaitRead, Close) instead of in a goroutine of
	// the Conn's own; TryRecv then returns only what those have read. It
	// is for an in-process test runner that knows from the server's byte
	// counts when the socket holds something (AwaitRead): each write of
	// the server's then costs the client one read instead of a goroutine
	// woken for it, a read that finds nothing and a second wake-up for
	// whoever waits. A client that reads inline reads nothing while it
	// does something else: ReadInBackground hands the stream to a reader
	// goroutine before a wait for a server that may need it to read.
	// Ignored with TLS.
	ReadInline bool
}

// StreamError is a <stream:error/> received from the server. Condition is
// the defined condition's element name (e.g. "policy-violation").
type StreamError struct {
	Condition string
	Text      string
}

func (e *StreamError) Error() string {
	if e.Text != "" {
		return "client: stream error: " + e.Condition + ": " + e.Text
	}
	return "client: stream error: " + e.Condition
}

// ErrClosed is returned by Recv after the stream has ended normally (the
// server sent </stream:stream>, or Close was called) and every queued
// stanza was read.
var ErrClosed = errors.New("client: stream closed")

// Conn is a negotiated client stream. Send and Recv may be used from
// different goroutines; Send is safe for concurrent use.
type Conn struct {
	conn     net.Conn
	raw      net.Conn // the TCP connection under conn (which TLS may wrap)
	count    *countingConn
	cfg      Config
	jid      string
	timeout  time.Duration
	streamNS string // NSComponent for a component stream, "" for a client

	in *streamReader // reads conn; kept across stream restarts on it

	wmu  sync.Mutex
	wbuf []byte

	mu     sync.Mutex
	queue  []*xmlnode.Element
	head   int
	rerr   error         // set once when the reader stops
	notify chan struct{} // capacity 1: "queue or rerr changed"

	readerDone chan struct{} // closed once the stream has ended and nothing reads it

	// rmu orders the goroutines reading inline (Config.ReadInline) while
	// inline holds; rdeadline (under rmu) is the read deadline they left
	// on the socket.
	rmu       sync.Mutex
	inline    atomic.Bool
	rdeadline time.Time

	closing   atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

// dialer opens the client's TCP connections without keep-alive probes:
// the streams of a test client are short and watched by their own time
// limits, and turning the probes on costs four setsockopt calls per
// connection, a measurable part of a short script's CPU time.
var dialer = net.Dialer{KeepAlive: -1}

// Dial connects to addr (host:port), negotiates the stream for cfg and
// returns the bound connection. ctx bounds the connection and negotiation.
func Dial(ctx context.Context, addr string, cfg Config) (*Conn, error) {
	return dial(ctx, addr, "client", func(nc net.Conn) (*Conn, error) { return New(ctx, nc, cfg) })
}

// dial connects to addr and opens a stream over the connection with open,
// closing it if that fails; what names the kind of stream in errors.
func dial(ctx context.Context, addr, what string, open func(net.Conn) (*Conn, error)) (*Conn, error) {
	nc, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s: dial %s: %w", what, addr, err)
	}
	c, err := open(nc)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return c, nil
}

// New negotiates a stream over an already connected nc (which the Conn then
// owns). Dial is the usual entry point; New serves tests over net.Pipe.
func New(ctx context.Context, nc net.Conn, cfg Config) (*Conn, error) {
	cc := newCountingConn(nc)
	c := &Conn{conn: cc, raw: nc, count: cc, cfg: cfg, timeout: cfg.Timeout}
	c.defaults()
	local, domain, ok := strings.Cut(cfg.JID, "@")
	if !ok {
		local, domain = "", cfg.JID
	}
	if c.cfg.Domain == "" {
		c.cfg.Domain = domain
	}
	if i := strings.IndexByte(c.cfg.Domain, '/'); i >= 0 {
		c.cfg.Domain = c.cfg.Domain[:i]
	}
	return c.start(ctx, nc, "client: negotiate", func() error { return c.negotiate(local) })
}

// defaults fills in the timeout and the limits on what the server sends
// where the configuration leaves them unset.
func (c *Conn) defaults() {
	if c.timeout <= 0 {
		c.timeout = 10 * time.Second
	}
	if c.cfg.Limits.MaxDepth == 0 && c.cfg.Limits.MaxAttrs == 0 && c.cfg.Limits.Declared == nil {
		c.cfg.Limits = xmlnode.Limits{MaxDepth: 64, MaxAttrs: 256}
	}
}

// start runs the stream's opening exchange (negotiation, or a component's
// handshake) within ctx and c's timeout, then starts the reader. An expired
// deadline is how a read blocked mid-exchange is interrupted when ctx is
// cancelled; the socket is left to the caller (dial closes it). what
// prefixes the error when ctx ended the exchange.
func (c *Conn) start(ctx context.Context, nc net.Conn, what string, open func() error) (*Conn, error) {
	deadline := time.Now().Add(c.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	nc.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	err := open()
	if !stop() || ctx.Err() != nil {
		if err == nil {
			err = ctx.Err()
		}
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if err != nil {
		return nil, err
	}
	nc.SetDeadline(time.Time{})
	c.notify = make(chan struct{}, 1)
	c.readerDone = make(chan struct{})
	if c.cfg.ReadInline && c.conn == net.Conn(c.count) {
		c.inline.Store(true)
	} else {
		go c.readLoop()
	}
	return c, nil
}

// JID returns the full JID the server bound for this stream.
func (c *Conn) JID() string { return c.jid }

// Send writes one stanza. Its top-level namespace should be jabber:client
// (or empty, which is treated as jabber:client).
func (c *Conn) Send(st *xmlnode.Element) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	parent := NSClient
	if st.Name.Space == "" {
		// Written without xmlns, the stanza inherits jabber:client;
		// st itself is not modified (callers may share it).
		parent = ""
	}
	c.wbuf = st.AppendTo(c.wbuf[:0], parent)
	return c.writeLocked(c.wbuf)
}

// SendAll writes several stanzas with one system call, in order, as Send
// would one by one.
func (c *Conn) SendAll(sts ...*xmlnode.Element) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.wbuf = c.wbuf[:0]
	for _, st := range sts {
		parent := NSClient
		if st.Name.Space == "" {
			parent = ""
		}
		c.wbuf = st.AppendTo(c.wbuf, parent)
	}
	return c.writeLocked(c.wbuf)
}

// SendRaw writes raw bytes to the stream, for tests that need malformed or
// hand-made XML.
func (c *Conn) SendRaw(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.writeLocked(b)
}

func (c *Conn) writeLocked(b []byte) error {
	if _, err := c.conn.Write(b); err != nil {
		return fmt.Errorf("client: write: %w", err)
	}
	return nil
}

// Recv returns the next stanza from the server, blocking until one arrives
// or the stream ends (ErrClosed, a *StreamError or a read error).
func (c *Conn) Recv() (*xmlnode.Element, error) {
	return c.RecvContext(context.Background())
}

// RecvContext is Recv bounded by ctx.
func (c *Conn) RecvContext(ctx context.Context) (*xmlnode.Element, error) {
	if c.inline.Load() {
		if st, err, inline := c.recvInline(ctx); inline {
			return st, err
		}
	}
	for {
		if st, err, ok := c.TryRecv(); ok {
			return st, err
		}
		select {
		case <-c.notify:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// TryRecv returns the next queued stanza without blocking; ok is false when
// nothing is queued and the stream is still open.
func (c *Conn) TryRecv() (st *xmlnode.Element, err error, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.head < len(c.queue) {
		st = c.queue[c.head]
		c.queue[c.head] = nil
		c.head++
		if c.head == len(c.queue) {
			c.queue, c.head = c.queue[:0], 0
		}
		return st, nil, true
	}
	if c.rerr != nil {
		return nil, c.rerr, true
	}
	return nil, nil, false
}

// Close ends the stream with the closing handshake: it sends
// </stream:stream>, waits (up to Config.Timeout) for the server's closing
// tag, then closes the socket. Stanzas the server sent before its closing
// tag stay readable with Recv. Close is idempotent.
func (c *Conn) Close() error {
	c.closeOnce.Do(func() {
		c.closing.Store(true)
		// The deadline also ends a Send blocked on a server that stopped
		// reading, so that it lets go of wmu: Close stays bounded by
		// Timeout, as documented.
		_ = c.conn.SetWriteDeadline(time.Now().Add(c.timeout))
		c.wmu.Lock()
		_, werr := io.WriteString(c.conn, "</stream:stream>")
		c.wmu.Unlock()
		if werr == nil && !c.awaitEnd(true) {
			c.closeErr = errors.New("client: close: timed out waiting for the server's </stream:stream>")
		}
		if err := c.conn.Close(); err != nil && c.closeErr == nil && !errors.Is(err, net.ErrClosed) {
			c.closeErr = fmt.Errorf("client: close: %w", err)
		}
		<-c.readerDone
	})
	return c.closeErr
}

// Abort closes the socket without the closing handshake, as a crashing
// client would (or a network that fails): the server sees the TCP
// connection end with no </stream:stream>.
func (c *Conn) Abort() error {
	c.closeOnce.Do(func() {
		c.closing.Store(true)
		c.conn.Close()
		c.abortInline()
		<-c.readerDone
	})
	return nil
}

// Drop ends the connection as a client that vanished would: the TCP
// connection is closed without the closing handshake (a FIN, no
// </stream:stream> first). Unlike Abort, Drop then waits, up to
// Config.Timeout, for the server to close its side, which it does once it
// has noticed and torn the session down: what the server sends others
// because of it is then on its way. Anything the server sends meanwhile is
// discarded. Without a TCP half-close (net.Pipe in tests) Drop is Abort.
func (c *Conn) Drop() error {
	cw, ok := c.raw.(interface{ CloseWrite() error })
	if !ok {
		return c.Abort()
	}
	c.closeOnce.Do(func() {
		c.closing.Store(true)
		_ = c.conn.SetWriteDeadline(time.Now().Add(c.timeout))
		c.wmu.Lock()
		err := cw.CloseWrite()
		c.wmu.Unlock()
		if err == nil && !c.awaitEnd(false) {
			c.closeErr = errors.New("client: drop: timed out waiting for the server to close the connection")
		}
		c.conn.Close()
		c.abortInline()
		<-c.readerDone
	})
	return c.closeErr
}

// awaitEnd waits up to c.timeout for the stream to end, after Close or
// Drop sent their end: for the reader goroutine to stop, or, reading
// inline, reads up to the end, queueing what comes when keep is set.
func (c *Conn) awaitEnd(keep bool) bool {
	if c.inline.Load() {
		if inTime, inline := c.endInline(c.timeout, keep); inline {
			return inTime
		}
	}
	timer := time.NewTimer(c.timeout)
	defer timer.Stop()
	select {
	case <-c.readerDone:
		return true
	case <-timer.C:
		return false
	}
}

// readLoop reads the stream in a goroutine of its own until it ends,
// queueing what it reads as an inline read does (record).
func (c *Conn) readLoop() {
	for {
		el, err := c.readElement()
		err = c.classify(err)
		c.record(el, err)
		if err != nil {
			return
		}
	}
}

// classify gives a read error the package's context, and turns it into
// ErrClosed once Close has begun; nil, ErrClosed and stream errors stay.
func (c *Conn) classify(err error) error {
	var se *StreamError
	switch {
	case err == nil || err == ErrClosed || errors.As(err, &se):
		return err
	case c.closing.Load():
		return ErrClosed
	case err == io.EOF:
		return fmt.Errorf("client: read: %w", io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("client: read: %w", err)
}

// negotiate runs RFC 6120 stream negotiation up to bound resource.
func (c *Conn) negotiate(local string) error {
	if c.cfg.PipelinePlain && !c.cfg.TLS {
		return c.negotiatePipelined(local)
	}
	features, err := c.openStream()
	if err != nil {
		return err
	}
	if features.Child(NSTLS, "starttls") != nil && (c.cfg.TLS || features.Child(NSTLS, "starttls").Child(NSTLS, "required") != nil) {
		if err := c.startTLS(); err != nil {
			return err
		}
		if features, err = c.openStream(); err != nil {
			return err
		}
	} else if c.cfg.TLS {
		return errors.New("client: server does not offer STARTTLS")
	}
	mechs := features.Child(NSSASL, "mechanisms")
	if mechs == nil {
		return errors.New("client: server offers no SASL mechanisms")
	}
	if err := c.auth(local, mechs); err != nil {
		return err
	}
	return c.bindAndSession()
}

// negotiatePipelined is negotiate for Config.PipelinePlain: the PLAIN
// <auth/> goes out with the first stream header, before the features.
func (c *Conn) negotiatePipelined(local string) error {
	neg := sasl.NewClient(sasl.Plain, sasl.Credentials(func() ([]byte, []byte, []byte) {
		return []byte(local), []byte(c.cfg.Password), nil
	}))
	_, resp, err := neg.Step(nil)
	if err != nil {
		return fmt.Errorf("client: sasl PLAIN: %w", err)
	}
	a := xmlnode.New(NSSASL, "auth", "mechanism", sasl.Plain.Name)
	a.SetText(encode64(resp))
	// The whole login in one write: header, <auth/>, the restarted
	// stream's header and the bind request. The server reads them in
	// order, each once it is ready for it (its buffered reader survives
	// the restart), so the login costs one round trip. Should the <auth/>
	// fail, the <failure/> comes first and Dial reports it.
	bindIQ := c.bindRequest()
	out := c.appendStreamHeader(make([]byte, 0, loginBytes))
	out = a.AppendTo(out, NSClient)
	out = c.appendStreamHeader(out)
	out = bindIQ.AppendTo(out, NSClient)
	features, err := c.openStreamWritten(out)
	if err != nil {
		return err
	}
	if st := features.Child(NSTLS, "starttls"); st != nil && st.Child(NSTLS, "required") != nil {
		return errors.New("client: PipelinePlain, but the server requires STARTTLS")
	}
	el, err := c.readElement()
	if err != nil {
		return fmt.Errorf("client: sasl: %w", err)
	}
	switch el.Name.Local {
	case "success":
	case "failure":
		cond := "failure"
		if ch := el.Elements(); len(ch) > 0 {
			cond = ch[0].Name.Local
		}
		return fmt.Errorf("client: sasl PLAIN: %s", cond)
	default:
		return fmt.Errorf("client: sasl: unexpected <%s/>", el.Name.Local)
	}
	if features, err = c.readStreamStart(); err != nil {
		return err
	}
	return c.afterBindFeatures(features, bindIQ)
}

// bindAndSession restarts the stream after SASL and binds the resource
// (with a legacy session where the server requires one).
func (c *Conn) bindAndSession() error {
	var features *xmlnode.Element
	var err error
	// The restarted stream's header and the bind request go out in one
	// write: a client stream always offers bind after SASL (RFC 6120
	// section 7.2), and a server reads the request only after sending its
	// features, so this saves a round trip per login and nothing else
	// changes on the wire.
	bindIQ := c.bindRequest()
	if features, err = c.openStreamWith(bindIQ.AppendTo(make([]byte, 0, 256), NSClient)); err != nil {
		return err
	}
	return c.afterBindFeatures(features, bindIQ)
}

// afterBindFeatures binds with bindIQ, already sent, given the restarted
// stream's features, and opens a legacy session if the server wants one.
func (c *Conn) afterBindFeatures(features, bindIQ *xmlnode.Element) error {
	if features.Child(NSBind, "bind") == nil {
		return errors.New("client: server does not offer resource binding")
	}
	if err := c.bind(bindIQ); err != nil {
		return err
	}
	if sess := features.Child(NSSession, "session"); sess != nil && sess.Child(NSSession, "optional") == nil {
		iq := xmlnode.New(NSClient, "iq", "type", "set", "id", "sess1")
		iq.AddChild(NSSession, "session")
		if _, err := c.iq(iq); err != nil {
			return fmt.Errorf("client: session: %w", err)
		}
	}
	return nil
}

func (c *Conn) openStream() (*xmlnode.Element, error) { return c.openStreamWith(nil) }

// openStreamWith opens a stream, writing extra right after the header in
// the same write, and returns the server's features.
func (c *Conn) openStreamWith(extra []byte) (*xmlnode.Element, error) {
	return c.openStreamWritten(append(c.appendStreamHeader(make([]byte, 0, 256+len(extra))), extra...))
}

// loginBytes is room for a pipelined login's one write (its two stream
// headers, <auth/> and the bind request), so that it is built without
// growing.
const loginBytes = 640

// openStreamWritten opens a stream by writing out, which starts with the
// stream header, and reads the server's header and features.
func (c *Conn) openStreamWritten(out []byte) (*xmlnode.Element, error) {
	if _, err := c.conn.Write(out); err != nil {
		// A server that refuses the connection (a connection cap, a
		// rate) writes its stream error and closes without reading, and
		// the write may fail for it (a Unix socket's peer gone, or
		// TCP's reset): what the server said is the better report.
		var se *StreamError
		if _, rerr := c.readStreamStart(); errors.As(rerr, &se) {
			return nil, rerr
		}
		return nil, fmt.Errorf("client: open stream: %w", err)
	}
	return c.readStreamStart()
}

// appendStreamHeader appends the client's stream header to b.
func (c *Conn) appendStreamHeader(b []byte) []byte {
	b = append(b, "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0' to='"...)
	b = append(b, xmlEscape(c.cfg.Domain)...)
	return append(b, "'>"...)
}

// readStreamStart reads the server's stream header and features. The
// stream reader is kept across a restart on the same connection: a server
// answering pipelined input may have sent the new header right behind
// what the old stream's last element.
func (c *Conn) readStreamStart() (*xmlnode.Element, error) {
	if c.in == nil || c.in.r != c.conn {
		if c.in != nil {
			c.in.release() // the stream over TCP, before TLS
		}
		c.in = newStreamReader(c.conn, c.cfg.Limits)
	}
	t, err := c.in.readHeader()
	if err != nil {
		return nil, fmt.Errorf("client: open stream: %w", err)
	}
	if t.Name.Space != NSStream || t.Name.Local != "stream" {
		return nil, fmt.Errorf("client: open stream: got <%s> instead of <stream:stream>", t.Name.Local)
	}
	el, err := c.readElement()
	if err != nil {
		return nil, fmt.Errorf("client: stream features: %w", err)
	}
	if el.Name.Space != NSStream || el.Name.Local != "features" {
		return nil, fmt.Errorf("client: expected stream features, got %s", el)
	}
	return el, nil
}

// readElement reads one top-level element: a <stream:error/> comes back as
// a *StreamError and the end of the stream as ErrClosed; other errors are
// the decoder's, unwrapped.
func (c *Conn) readElement() (*xmlnode.Element, error) {
	el, err := c.in.next()
	switch {
	case errors.Is(err, xmlnode.ErrEnd):
		return nil, ErrClosed
	case err != nil:
		return nil, err
	case el.Name.Space == NSStream && el.Name.Local == "error":
		return nil, parseStreamError(el)
	}
	return el, nil
}

// parseStreamError turns a received <stream:error/> into a *StreamError: the
// first child other than <text/> is the defined condition.
func parseStreamError(el *xmlnode.Element) *StreamError {
	se := &StreamError{}
	for _, ch := range el.Elements() {
		if ch.Name.Local == "text" {
			se.Text = ch.Text()
		} else if se.Condition == "" {
			se.Condition = ch.Name.Local
		}
	}
	return se
}

func (c *Conn) startTLS() error {
	if _, err := io.WriteString(c.conn, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"); err != nil {
		return fmt.Errorf("client: starttls: %w", err)
	}
	el, err := c.readElement()
	if err != nil {
		return fmt.Errorf("client: starttls: %w", err)
	}
	if el.Name.Local != "proceed" {
		return fmt.Errorf("client: starttls: server answered <%s/>", el.Name.Local)
	}
	tc := c.cfg.TLSConfig
	if tc == nil {
		tc = &tls.Config{ServerName: c.cfg.Domain, InsecureSkipVerify: c.cfg.InsecureSkipVerify}
	}
	tconn := tls.Client(c.conn, tc)
	if err := tconn.Handshake(); err != nil {
		return fmt.Errorf("client: starttls: handshake: %w", err)
	}
	c.conn = tconn
	return nil
}

// mechanismPreference lists the mechanisms the client implements, best
// first.
var mechanismPreference = []sasl.Mechanism{sasl.ScramSha256, sasl.ScramSha1, sasl.Plain}

func (c *Conn) auth(local string, mechs *xmlnode.Element) error {
	offered := map[string]bool{}
	for _, m := range mechs.ChildrenNamed(NSSASL, "mechanism") {
		offered[strings.TrimSpace(m.Text())] = true
	}
	mech, err := chooseMechanism(c.cfg.Mechanism, offered)
	if err != nil {
		return err
	}
	neg := sasl.NewClient(mech, sasl.Credentials(func() ([]byte, []byte, []byte) {
		return []byte(local), []byte(c.cfg.Password), nil
	}))
	_, resp, err := neg.Step(nil)
	if err != nil {
		return fmt.Errorf("client: sasl %s: %w", mech.Name, err)
	}
	a := xmlnode.New(NSSASL, "auth", "mechanism", mech.Name)
	a.SetText(encode64(resp))
	if err := c.writeElement(a); err != nil {
		return fmt.Errorf("client: sasl: %w", err)
	}
	for {
		el, err := c.readElement()
		if err != nil {
			return fmt.Errorf("client: sasl: %w", err)
		}
		data, derr := base64.StdEncoding.DecodeString(strings.TrimSpace(el.Text()))
		switch el.Name.Local {
		case "challenge":
			if derr != nil {
				return fmt.Errorf("client: sasl: bad challenge: %w", derr)
			}
			_, resp, err := neg.Step(data)
			if err != nil {
				return fmt.Errorf("client: sasl %s: %w", mech.Name, err)
			}
			r := xmlnode.New(NSSASL, "response")
			r.SetText(encode64(resp))
			if err := c.writeElement(r); err != nil {
				return fmt.Errorf("client: sasl: %w", err)
			}
		case "success":
			// SCRAM: the success data carries the server signature,
			// which proves the server knew the password too.
			if strings.HasPrefix(mech.Name, "SCRAM") {
				if derr != nil || len(data) == 0 {
					return errors.New("client: sasl: success without server signature")
				}
				if _, _, err := neg.Step(data); err != nil {
					return fmt.Errorf("client: sasl %s: verify server: %w", mech.Name, err)
				}
			}
			return nil
		case "failure":
			cond := "failure"
			if ch := el.Elements(); len(ch) > 0 {
				cond = ch[0].Name.Local
			}
			return fmt.Errorf("client: sasl %s: %s", mech.Name, cond)
		default:
			return fmt.Errorf("client: sasl: unexpected <%s/>", el.Name.Local)
		}
	}
}

// chooseMechanism picks the mechanism to use: the first of the
// comma-separated list want that the server offers, or with want empty the
// strongest offered.
func chooseMechanism(want string, offered map[string]bool) (sasl.Mechanism, error) {
	if want == "" {
		for _, m := range mechanismPreference {
			if offered[m.Name] {
				return m, nil
			}
		}
		return sasl.Mechanism{}, errors.New("client: sasl: no supported mechanism offered")
	}
	for _, name := range strings.Split(want, ",") {
		name = strings.ToUpper(strings.TrimSpace(name))
		var mech *sasl.Mechanism
		for i := range mechanismPreference {
			if mechanismPreference[i].Name == name {
				mech = &mechanismPreference[i]
			}
		}
		if mech == nil {
			return sasl.Mechanism{}, fmt.Errorf("client: sasl: mechanism %q not supported", name)
		}
		if offered[name] {
			return *mech, nil
		}
	}
	return sasl.Mechanism{}, fmt.Errorf("client: sasl: server does not offer %s", want)
}

func encode64(b []byte) string {
	if len(b) == 0 {
		return "="
	}
	return base64.StdEncoding.EncodeToString(b)
}

func (c *Conn) writeElement(e *xmlnode.Element) error {
	_, err := c.conn.Write(e.AppendTo(nil, NSClient))
	return err
}

// bindRequest is the resource binding iq for c.cfg.Resource.
func (c *Conn) bindRequest() *xmlnode.Element {
	iq := xmlnode.New(NSClient, "iq", "type", "set", "id", "bind1")
	b := iq.AddChild(NSBind, "bind")
	if c.cfg.Resource != "" {
		b.AddChild(NSBind, "resource").SetText(c.cfg.Resource)
	}
	return iq
}

// bind waits for the answer to iq, the bind request already sent.
func (c *Conn) bind(iq *xmlnode.Element) error {
	res, err := c.awaitIQ(iq)
	if err != nil {
		return fmt.Errorf("client: bind: %w", err)
	}
	j := strings.TrimSpace(res.Child(NSBind, "bind").ChildText(NSBind, "jid"))
	if j == "" {
		return errors.New("client: bind: no jid in result")
	}
	c.jid = j
	return nil
}

// iq sends a negotiation iq and waits for its result (before the reader
// goroutine runs, so it reads directly).
func (c *Conn) iq(iq *xmlnode.Element) (*xmlnode.Element, error) {
	if err := c.writeElement(iq); err != nil {
		return nil, err
	}
	return c.awaitIQ(iq)
}

// awaitIQ reads up to the answer to the negotiation iq already sent.
func (c *Conn) awaitIQ(iq *xmlnode.Element) (*xmlnode.Element, error) {
	for {
		el, err := c.readElement()
		if err != nil {
			return nil, err
		}
		if el.Name.Local != "iq" || el.Attrib("id") != iq.Attrib("id") {
			continue
		}
		switch el.Attrib("type") {
		case "result":
			if iq.Child(NSBind, "bind") != nil && el.Child(NSBind, "bind") == nil {
				return nil, errors.New("result without <bind/>")
			}
			return el, nil
		case "error":
			cond := "unknown"
			if e := el.Child("", "error"); e != nil {
				for _, ch := range e.Elements() {
					if ch.Name.Space == NSStanzas && ch.Name.Local != "text" {
						cond = ch.Name.Local
					}
				}
			}
			return nil, fmt.Errorf("error %s", cond)
		default:
			return nil, fmt.Errorf("unexpected iq type %q", el.Attrib("type"))
		}
	}
}

// plainASCII reports whether s is printable ASCII that xml.EscapeText
// leaves as it is.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c > 0x7e, c == '<', c == '>', c == '&', c == '\'', c == '"':
			return false
		}
	}
	return true
}

func xmlEscape(s string) string {
	if plainASCII(s) {
		return s // the usual domain: nothing to escape, nothing to copy
	}
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}
