package external

import (
	"github.com/muctest/muctest/connlimit"
	"github.com/muctest/muctest/netpoll"

	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/muctest/muctest/component"
	"github.com/muctest/muctest/jidcheck"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/stanzaerr"
	"github.com/muctest/muctest/xmlnode"
)

// Defaults for Limits fields left zero: as for client streams (package
// c2s), with a shorter time to finish the handshake, which a component
// does without a human in the loop.
const (
	DefaultMaxStanzaBytes   = 256 << 10
	DefaultMaxDepth         = 64
	DefaultMaxAttrs         = 64
	DefaultHandshakeTimeout = 10 * time.Second
	DefaultWriteTimeout     = 60 * time.Second
	DefaultMaxQueue         = 10000
	DefaultMaxQueueBytes    = 16 << 20
	// DefaultMaxHandshakeBytes bounds the stream header and the
	// handshake, each: a few hundred bytes from a real component, while
	// anyone who can reach the port may send them.
	DefaultMaxHandshakeBytes = 4 << 10
	// DefaultMaxConns and DefaultMaxConnsPerIP bound the connections the
	// component port holds at once: a server has a handful of
	// components, and each connection costs two goroutines and its
	// buffers until its handshake times out, so a flood of connections
	// must stop long before it holds the descriptors and memory the
	// client port needs (attack4's component-handshake-flood).
	DefaultMaxConns      = 256
	DefaultMaxConnsPerIP = 32
)

// Limits bound what one component may cost the server. Zero fields take
// the defaults above.
type Limits struct {
	// MaxStanzaBytes bounds one top-level element (and the stream
	// header); MaxDepth and MaxAttrs are passed to xmlnode.Read.
	MaxStanzaBytes int64
	MaxDepth       int
	MaxAttrs       int
	// HandshakeTimeout bounds the time from connect to a checked
	// handshake.
	HandshakeTimeout time.Duration
	// IdleTimeout, when set, ends a component stream that sends nothing
	// (not even whitespace) for that long; zero means no limit.
	IdleTimeout time.Duration
	// WriteTimeout bounds one write to a component that does not read.
	WriteTimeout time.Duration
	// MaxQueue and MaxQueueBytes bound what waits to be written to one
	// component; past either, its stream ends with resource-constraint.
	MaxQueue      int
	MaxQueueBytes int64
	// MaxHandshakeBytes bounds the stream header and the <handshake/>,
	// each, before the component has proved it knows the secret (never
	// more than MaxStanzaBytes).
	MaxHandshakeBytes int64
	// MaxConns and MaxConnsPerIP cap the connections Serve's listener
	// holds at once, over every address and from one (package
	// connlimit); a connection over a cap is told resource-constraint or
	// policy-violation and closed unread. Negative: no cap.
	MaxConns      int
	MaxConnsPerIP int
}

func (l Limits) withDefaults() Limits {
	if l.MaxStanzaBytes <= 0 {
		l.MaxStanzaBytes = DefaultMaxStanzaBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxAttrs <= 0 {
		l.MaxAttrs = DefaultMaxAttrs
	}
	if l.HandshakeTimeout <= 0 {
		l.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if l.WriteTimeout <= 0 {
		l.WriteTimeout = DefaultWriteTimeout
	}
	if l.MaxQueue <= 0 {
		l.MaxQueue = DefaultMaxQueue
	}
	if l.MaxQueueBytes <= 0 {
		l.MaxQueueBytes = DefaultMaxQueueBytes
	}
	if l.MaxHandshakeBytes <= 0 {
		l.MaxHandshakeBytes = DefaultMaxHandshakeBytes
	}
	l.MaxHandshakeBytes = min(l.MaxHandshakeBytes, l.MaxStanzaBytes)
	if l.MaxConns == 0 {
		l.MaxConns = DefaultMaxConns
	}
	if l.MaxConnsPerIP == 0 {
		l.MaxConnsPerIP = DefaultMaxConnsPerIP
	}
	return l
}

// Config sets up a Server.
type Config struct {
	// Secrets maps each component domain that may connect to its shared
	// secret (mucd -component NAME:SECRET).
	Secrets map[string]string
	// Router receives the stanzas components send, with "from" checked to
	// be in the component's domain and both addresses normalised. It is
	// the main server. When nil, Register (the Server as a module of the
	// main server) sets it to the registrar's router.
	Router component.Router
	// Busy, when set, is told +1 when work starts (a component's bytes
	// are being read and routed, a stanza is queued for a component) and
	// -1 when it ends, as c2s tells the main server's idle tracker, so
	// that WaitIdle covers components too.
	Busy   func(delta int)
	Limits Limits
	// Logger receives connects, disconnects and refusals; nil discards.
	Logger *slog.Logger
}

// ErrClosed is returned by Serve after Close.
var ErrClosed = errors.New("external: closed")

// Server accepts XEP-0114 components on the listeners given to Serve.
type Server struct {
	cfg    Config
	lim    Limits
	log    *slog.Logger
	mounts map[string]*Mount

	router component.Router // cfg.Router, or the registrar's (Register)

	busy atomic.Int64 // stanzas being routed from components

	mu        sync.Mutex
	closed    bool
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	wg        sync.WaitGroup
}

// New returns a Server for cfg. Every domain must be a valid domain JID
// with a non-empty secret, and a Router is required.
func New(cfg Config) (*Server, error) {
	s := &Server{cfg: cfg, router: cfg.Router, lim: cfg.Limits.withDefaults(), log: cfg.Logger,
		mounts: map[string]*Mount{}, listeners: map[net.Listener]struct{}{}, conns: map[*conn]struct{}{}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	for d, secret := range cfg.Secrets {
		j, err := jidcheck.Parse(d)
		if err != nil || j.Localpart() != "" || j.Resourcepart() != "" {
			return nil, fmt.Errorf("external: component domain %q is not a domain", d)
		}
		if secret == "" {
			return nil, fmt.Errorf("external: component %q has an empty secret", d)
		}
		dom := j.Domainpart()
		if _, dup := s.mounts[dom]; dup {
			return nil, fmt.Errorf("external: component %q configured twice", dom)
		}
		s.mounts[dom] = &Mount{s: s, domain: dom, secret: secret}
	}
	return s, nil
}

// Domains returns the configured component domains, sorted.
func (s *Server) Domains() []string {
	var ds []string
	for d := range s.mounts {
		ds = append(ds, d)
	}
	sort.Strings(ds)
	return ds
}

// Handler returns the component.Handler the main server mounts for domain
// (nil when domain is not configured). It is the same value whether or
// not a component is connected, so it can be mounted once at start.
func (s *Server) Handler(domain string) component.Handler {
	if m, ok := s.mounts[strings.ToLower(domain)]; ok {
		return m
	}
	return nil
}

// Pending says whether some component connection holds bytes the kernel
// received that the server has not read yet (Linux; false elsewhere): a
// stanza a component has written is then about to be routed, which
// WaitIdle must wait for, as it does for client sessions.
func (s *Server) Pending() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if netpoll.Unread(c.nc) > 0 {
			return true
		}
	}
	return false
}

// Connected says whether a component is connected for domain.
func (s *Server) Connected(domain string) bool {
	m, ok := s.mounts[strings.ToLower(domain)]
	return ok && m.current() != nil
}

// Idle says whether no stanza from a component is being routed and none
// waits to be written to a component: what a test runner checks, with the
// main server's own WaitIdle, before it looks at what clients received.
func (s *Server) Idle() bool {
	if s.busy.Load() != 0 {
		return false
	}
	for _, m := range s.mounts {
		if c := m.current(); c != nil && !c.drained() {
			return false
		}
	}
	return true
}

// Name implements module.Module: the Server mounts its components in the
// main server's registry.
func (s *Server) Name() string { return "external-components" }

// Register implements module.Module: every configured domain is mounted
// as a component (a duplicate of another component's domain, such as the
// MUC's, is an error from the main server's New), and the registrar's
// router becomes the Router when Config left it nil.
func (s *Server) Register(r *module.Registrar) error {
	if s.router == nil {
		s.router = r.Router()
	}
	for _, d := range s.Domains() {
		r.Component(d, s.mounts[d])
	}
	return nil
}

// Serve accepts components on ln until Close, which makes it return nil.
// ln is capped by Limits.MaxConns and MaxConnsPerIP, and rides out
// descriptor exhaustion (package connlimit).
func (s *Server) Serve(ln net.Listener) error {
	if s.router == nil {
		ln.Close()
		return errors.New("external: no Router (set Config.Router or register the Server as a module)")
	}
	ln = connlimit.New(ln, connlimit.Config{
		MaxConns: s.lim.MaxConns,
		MaxPerIP: s.lim.MaxConnsPerIP,
		Logger:   s.log,
		Refuse: func(c net.Conn, why connlimit.Reason) {
			e := errorf("resource-constraint", "too many component connections")
			if why == connlimit.TooManyFromIP {
				e = errorf("policy-violation", "too many component connections from your address")
			}
			// A few hundred bytes fit in a new socket's buffer: the
			// deadline only guards the accept loop against a kernel
			// that says otherwise.
			_ = c.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
			_, _ = c.Write(errorBytes(e, true))
		},
	})
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return ErrClosed
	}
	s.listeners[ln] = struct{}{}
	s.mu.Unlock()
	for {
		nc, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("external: accept: %w", err)
		}
		c := newConn(s, nc)
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return nil
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			c.serve()
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
}

// Close stops the listeners, ends every component stream with
// system-shutdown and waits for their goroutines.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	for ln := range s.listeners {
		ln.Close()
	}
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.fail(errorf("system-shutdown", "the server is shutting down"))
	}
	s.wg.Wait()
	return nil
}

// Shutdown is called by the main server's router when it shuts down
// (before the clients' sessions end): the component's stream ends with
// system-shutdown.
func (m *Mount) Shutdown() {
	if c := m.current(); c != nil {
		c.fail(errorf("system-shutdown", "the server is shutting down"))
	}
}

// Mount is the component.Handler of one component domain: it hands the
// stanzas the router gives it to the connected component, or answers for
// it while none is.
type Mount struct {
	s      *Server
	domain string
	secret string

	mu   sync.Mutex
	conn *conn
}

func (m *Mount) current() *conn {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.conn
}

// attach makes c the mount's component; false when another one is
// connected (the newcomer gets conflict, the working one stays).
func (m *Mount) attach(c *conn) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.conn != nil {
		return false
	}
	m.conn = c
	return true
}

func (m *Mount) detach(c *conn) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.conn == c {
		m.conn = nil
	}
}

// HandleStanza implements component.Handler: st is serialised now (the
// router may reuse it) and queued for the component's writer, so that it
// never blocks on the component's socket.
func (m *Mount) HandleStanza(st *xmlnode.Element) {
	if c := m.current(); c != nil && c.enqueue(st.AppendTo(nil, nsClient)) {
		return
	}
	// No component, or one whose stream is ending.
	m.bounce(st)
}

// bounce answers a stanza for a component that is not connected:
// service-unavailable for messages and requests, nothing for errors,
// results and presence (RFC 6120 section 8.3.1, RFC 6121 section 8.5).
func (m *Mount) bounce(st *xmlnode.Element) {
	typ := st.Attrib("type")
	switch st.Name.Local {
	case "iq":
		if typ != "get" && typ != "set" {
			return
		}
	case "message":
		if typ == "error" {
			return
		}
	default:
		return
	}
	m.s.router.Route(stanzaerr.Reply(st, "cancel", "service-unavailable", "", ""))
}

// conn is one component connection.
type conn struct {
	s     *Server
	nc    net.Conn
	log   *slog.Logger
	mount *Mount

	mu      sync.Mutex
	queue   [][]byte
	qbytes  int64
	writing bool // the writer holds a batch taken off the queue
	ended   bool // a stream error or the closing tag is queued: nothing more
	wake    chan struct{}
	done    chan struct{} // closed when the writer has finished
	once    sync.Once
}

func newConn(s *Server, nc net.Conn) *conn {
	return &conn{s: s, nc: nc, log: s.log.With("remote", nc.RemoteAddr().String()),
		wake: make(chan struct{}, 1), done: make(chan struct{})}
}

// serve runs the handshake, then reads stanzas until the stream ends.
func (c *conn) serve() {
	go c.writer()
	defer func() {
		if c.mount != nil {
			c.mount.detach(c)
			c.log.Info("external: component disconnected", "domain", c.mount.domain)
		}
		c.finish()
		<-c.done
		// Read what the component still sends for a moment, so that
		// closing with unread bytes does not reset the connection
		// before it has read the stream error.
		c.nc.SetReadDeadline(time.Now().Add(time.Second))
		io.Copy(io.Discard, io.LimitReader(c.nc, 64<<10))
		c.nc.Close()
	}()
	lim := c.s.lim
	c.armRead(lim.HandshakeTimeout)
	br := &busyReader{c: c}
	defer br.release()
	r := newReader(br, lim.MaxHandshakeBytes, xmlnode.Limits{MaxDepth: lim.MaxDepth, MaxAttrs: lim.MaxAttrs})
	id := strings.ToLower(rand.Text())
	headerSent := false
	w := writerFunc(func(b []byte) (int, error) {
		headerSent = true
		c.enqueue(b)
		return len(b), nil
	})
	domain, err := negotiate(r, w, id, func(d string) (string, bool) {
		m, ok := c.s.mounts[d]
		if !ok {
			return "", false
		}
		return m.secret, true
	})
	if err != nil {
		if se := asStreamError(err); se != nil || isTimeout(err) {
			if se == nil {
				se = errorf("connection-timeout", "no handshake within %v", lim.HandshakeTimeout)
			}
			c.log.Info("external: component refused", "err", se)
			c.failWith(se, !headerSent)
		}
		return
	}
	m := c.s.mounts[domain]
	if !m.attach(c) {
		c.log.Warn("external: a second component for the same domain was refused", "domain", domain)
		c.failWith(errorf("conflict", "a component is already connected for %s", domain), false)
		return
	}
	c.mount = m
	r.lr.max = lim.MaxStanzaBytes
	c.enqueue([]byte("<handshake/>"))
	c.log.Info("external: component connected", "domain", domain)
	for {
		c.armRead(lim.IdleTimeout)
		el, err := r.next()
		if err != nil {
			switch se := asStreamError(err); {
			case se != nil:
				c.failWith(se, false)
			case isTimeout(err):
				c.failWith(errorf("connection-timeout", "idle for %v", lim.IdleTimeout), false)
			}
			return
		}
		if err := c.route(el); err != nil {
			if err != errStreamEnded {
				c.failWith(err, false)
			}
			return
		}
	}
}

// armRead sets the read deadline d from now (none for 0), unless the
// stream has ended, where the reader must stop at once. It holds c.mu, as
// failWith and fail do when they stop the reader, so that the reader
// cannot lift their deadline.
func (c *conn) armRead(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.ended:
		c.nc.SetReadDeadline(time.Now())
	case d > 0:
		c.nc.SetReadDeadline(time.Now().Add(d))
	default:
		c.nc.SetReadDeadline(time.Time{})
	}
}

// busy tells Config.Busy about work starting (+) or ending (-).
func (c *conn) busy(delta int) {
	if delta != 0 && c.s.cfg.Busy != nil {
		c.s.cfg.Busy(delta)
	}
}

// busyReader reads the component's socket and counts the connection busy
// from the moment a read returns bytes until the next read, which only
// happens once they are all processed: while it is not blocked reading.
type busyReader struct {
	c    *conn
	held bool
}

func (b *busyReader) Read(p []byte) (int, error) {
	b.release()
	n, err := b.c.nc.Read(p)
	if n > 0 {
		b.held = true
		b.c.busy(1)
	}
	return n, err
}

func (b *busyReader) release() {
	if b.held {
		b.held = false
		b.c.busy(-1)
	}
}

// errStreamEnded is route's answer to the component's own stream error:
// the stream ends without one from the server.
var errStreamEnded = &streamError{cond: "", text: "the component ended its stream with an error"}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// route checks one element from the component and hands it to the router
// as a jabber:client stanza.
func (c *conn) route(el *xmlnode.Element) *streamError {
	if el.Name.Space == nsStream && el.Name.Local == "error" {
		// The component ends its stream with an error: log it; serve
		// then closes ours.
		c.log.Warn("external: the component sent a stream error", "domain", c.mount.domain, "error", el.String())
		return errStreamEnded
	}
	if el.Name.Space != NSAccept {
		return errorf("invalid-namespace", "<%s/> is in %q, not %s", el.Name.Local, el.Name.Space, NSAccept)
	}
	switch el.Name.Local {
	case "message", "presence", "iq":
	default:
		return errorf("unsupported-stanza-type", "<%s/> is not a stanza", el.Name.Local)
	}
	from, err := jidcheck.Parse(el.Attrib("from"))
	if err != nil || from.Domainpart() != c.mount.domain {
		return errorf("invalid-from", "'from' must be %s or a JID at it, not %q", c.mount.domain, el.Attrib("from"))
	}
	to, err := jidcheck.Parse(el.Attrib("to"))
	if err != nil || el.Attrib("to") == "" {
		return errorf("improper-addressing", "a stanza from a component needs a valid 'to', not %q", el.Attrib("to"))
	}
	toClient(el)
	el.SetAttr("from", from.String())
	el.SetAttr("to", to.String())
	c.s.busy.Add(1)
	defer c.s.busy.Add(-1)
	c.s.router.Route(el)
	return nil
}

// toClient moves el's elements in the component namespace to
// jabber:client, the namespace stanzas have inside the server.
func toClient(el *xmlnode.Element) {
	if el.Name.Space == NSAccept {
		el.Name.Space = nsClient
	}
	for _, ch := range el.Elements() {
		toClient(ch)
	}
}

// enqueue queues bytes for the writer and says whether it did; past the
// queue limits the stream ends with resource-constraint.
func (c *conn) enqueue(b []byte) bool {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return false
	}
	if len(c.queue) >= c.s.lim.MaxQueue || c.qbytes+int64(len(b)) > c.s.lim.MaxQueueBytes {
		c.mu.Unlock()
		c.log.Warn("external: component does not read; its queue is full")
		c.fail(errorf("resource-constraint", "the component does not read what the server sends"))
		return false
	}
	c.queue = append(c.queue, b)
	c.qbytes += int64(len(b))
	c.busy(1)
	c.mu.Unlock()
	c.signal()
	return true
}

func (c *conn) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// drained says whether nothing waits to be written.
func (c *conn) drained() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.queue) == 0 && !c.writing
}

// failWith queues a stream error (after the queued stanzas) and ends the
// stream; the connection closes once the writer has written it.
func (c *conn) failWith(e *streamError, withHeader bool) {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	c.queue = append(c.queue, errorBytes(e, withHeader))
	c.busy(1)
	c.ended = true
	// Unblock the reader, which may be waiting for the component.
	c.nc.SetReadDeadline(time.Now())
	c.mu.Unlock()
	c.signal()
}

// fail ends the stream at once, from outside the reader (queue overflow,
// shutdown): what is queued is dropped for the error.
func (c *conn) fail(e *streamError) {
	c.mu.Lock()
	if !c.ended {
		c.busy(1 - len(c.queue))
		c.queue = [][]byte{errorBytes(e, false)}
		c.qbytes = 0
		c.ended = true
	}
	c.nc.SetReadDeadline(time.Now())
	c.mu.Unlock()
	c.signal()
}

// finish ends the stream with the closing tag if nothing else did.
func (c *conn) finish() {
	c.mu.Lock()
	if !c.ended {
		c.queue = append(c.queue, []byte("</stream:stream>"))
		c.busy(1)
		c.ended = true
	}
	c.mu.Unlock()
	c.signal()
}

// writer writes the queue in batches until the stream has ended and
// everything is written, or a write fails.
func (c *conn) writer() {
	defer c.once.Do(func() { close(c.done) })
	var buf []byte
	for {
		c.mu.Lock()
		batch := c.queue
		c.queue = nil
		c.qbytes = 0
		ended := c.ended
		c.writing = len(batch) > 0
		c.mu.Unlock()
		if len(batch) == 0 {
			if ended {
				// The stream is over: half-close, so that the
				// component reads the end and the reader drains.
				if cw, ok := c.nc.(interface{ CloseWrite() error }); ok {
					cw.CloseWrite()
				}
				return
			}
			<-c.wake
			continue
		}
		buf = buf[:0]
		for _, b := range batch {
			buf = append(buf, b...)
		}
		c.nc.SetWriteDeadline(time.Now().Add(c.s.lim.WriteTimeout))
		_, err := c.nc.Write(buf)
		c.mu.Lock()
		c.writing = false
		c.busy(-len(batch))
		if err != nil {
			// The component is gone: what waits is dropped.
			c.ended = true
			c.busy(-len(c.queue))
			c.queue = nil
		}
		c.mu.Unlock()
		if err != nil {
			c.nc.Close()
			return
		}
	}
}
