package c2s

import (
	"github.com/muctest/muctest/netpoll"

	"context"
	"crypto/rand"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stream"

	"github.com/muctest/muctest/xmlnode"
)

// Namespaces used on the wire.
const (
	NSClient  = "jabber:client"
	NSStream  = "http://etherx.jabber.org/streams"
	NSStreams = "urn:ietf:params:xml:ns:xmpp-streams"
	NSTLS     = "urn:ietf:params:xml:ns:xmpp-tls"
	NSSASL    = "urn:ietf:params:xml:ns:xmpp-sasl"
	NSBind    = "urn:ietf:params:xml:ns:xmpp-bind"
	NSSession = "urn:ietf:params:xml:ns:xmpp-session"
	NSStanzas = "urn:ietf:params:xml:ns:xmpp-stanzas"
)

// Session is one client connection. It is created by New and driven by Run;
// once bound, other sessions' goroutines deliver to it with Send.
type Session struct {
	cfg *Config
	// limits are cfg.Limits with the defaults filled in, shared by the
	// sessions of one Config (sharedLimits).
	limits *Limits
	// declared are the namespaces the client's stream header declares:
	// a stanza may use a prefix only if it or the header declares it.
	declared []string
	log      *slog.Logger
	id       string

	conn net.Conn // the stream's connection, TLS after STARTTLS
	raw  net.Conn // the TCP connection, safe to Close from any goroutine
	// rbytes and wbytes count the bytes read from and written to raw
	// (under TLS, if any): see ConnBytes.
	rbytes, wbytes atomic.Int64
	in             *countingReader
	dec            *xml.Decoder
	user           string // authenticated localpart, "" before SASL success

	// The outbound queue, guarded by mu. Send serialises stanzas straight
	// into out; a writer goroutine runs only while out holds something
	// (writing), so an idle session has neither a writer nor a buffer.
	mu      sync.Mutex
	jid     jid.JID
	handler Handler
	// overflow is set once the session is closing because the client
	// did not read (overflowLocked).
	overflow *overflow
	out      *outBuf
	qbytes   int           // bytes in out
	qcharged int64         // of Config.QueueBudget, for qbytes (outbudget.go)
	wdone    chan struct{} // closed when the last writer closed the connection
	closed   chan struct{} // closed when the session has ended
	bound    bool          // Send queues from now on
	closing  bool          // no more items accepted
	dead     bool          // the connection failed or was closed under us
	writing  bool          // a writer goroutine runs (for good once closing)
	secure   bool          // the stream is encrypted (STARTTLS)
	// holding: negotiation writes wait for the next read (hold.go), in held.
	holding bool
	// resumed (park.go): the read loop was restarted by wake: keep the
	// idle deadline. stanzaArmed: the read deadline is armStanza's, for
	// the stanza being read.
	resumed, stanzaArmed bool

	// Parking (park.go): pollConn is raw as the Poller sees it (nil when
	// the session cannot park); bits says whether it is parked (no
	// goroutine reads) and whether Abort was called.
	bits stateBits
	// queued is the number of stanzas in out (since it was last emptied),
	// guarded by mu; an int32 beside bits, so that Session keeps to its
	// size class (size_test.go).
	queued    int32
	pollConn  syscall.Conn
	pollID    uint64
	wakeFn    func()      // s.wake, made once rather than at every park
	idleAt    time.Time   // when Limits.IdleTimeout ends an idle bound session
	idleTimer *time.Timer // wakes a parked session at idleAt
	header    []byte      // the stream header for restoreDecoder; nil: keep the decoder
	held      []byte      // negotiation writes while holding
}

// overflow is the state of a session overflowLocked is ending: end bounds
// its last writes; handed counts the bytes its writer has handed to the
// kernel since, delivered those the client had taken at the last look
// (overflowProgress). Only such a session has one.
type overflow struct {
	end               time.Time
	handed, delivered int
}

var discardLogger = slog.New(slog.DiscardHandler)

// New wraps conn in a Session. Call Run to negotiate and serve it.
func New(conn net.Conn, cfg *Config) *Session {
	s := &Session{
		cfg:    cfg,
		limits: sharedLimits(cfg.Limits),
		log:    cfg.Logger,
		id:     strings.ToLower(rand.Text()[:16]),
		raw:    conn,
		wdone:  make(chan struct{}),
		closed: make(chan struct{}),
		pollID: pollIDs.Add(1),
	}
	s.pollConn = pollable(cfg, conn)
	if s.pollConn != nil {
		s.wakeFn = s.wake
	}
	if s.log == nil {
		s.log = discardLogger
	}
	if s.log.Enabled(context.Background(), slog.LevelError) {
		// Not for a logger that drops everything: the attributes would
		// cost every session a few hundred bytes for nothing.
		s.log = s.log.With("conn", s.id, "remote", conn.RemoteAddr().String())
	}
	s.conn = &trackedConn{Conn: conn, s: s, tat: noDebt}
	s.setReader(s.conn)
	boundKernelBuffer(conn, s.limits)
	return s
}

// logJID has the session's log lines name full, its bound JID, unless
// the logger drops everything (as New's attributes): the attribute cost a
// copy of the JID and a new logger per login for nothing.
func (s *Session) logJID(full jid.JID) {
	if s.log.Enabled(context.Background(), slog.LevelError) {
		s.log = s.log.With("jid", full.String())
	}
}

// trackedConn is the session's view of its socket: the session counts as
// busy (Config.Busy) except while blocked reading it. Together with
// Pending this tells WaitIdle about bytes the session has received but not
// yet turned into routed stanzas, e.g. the second of two stanzas that came
// in one packet. It also holds the session's read allowance
// (Limits.ReadRate, ratelimit.go), used by the reader (and by wake, once
// the session has parked): its own bucket, tat, until it authenticates,
// then its account's, share.
type trackedConn struct {
	net.Conn
	s     *Session
	tat   int64
	share *readShare
	turn  bool // holds one of ReadLimiter's turns
}

func (c *trackedConn) Read(p []byte) (int, error) {
	c.giveTurn()
	if err := c.s.flushHeld(); err != nil {
		return 0, err
	}
	c.s.busy(-1)
	c.joinShare()
	c.throttle() // not busy while it waits, as while blocked reading
	n, err := c.Conn.Read(p)
	c.s.busy(1)
	now := readClock()
	c.charge(n, now)
	// Counted only once busy again: whoever sees the count include these
	// bytes and then sees the server idle knows they have been handled.
	c.s.rbytes.Add(int64(n))
	c.takeTurn(n, now)
	return n, err
}

func (c *trackedConn) Write(p []byte) (int, error) {
	if c.s.holding {
		c.s.held = append(c.s.heldBuf(), p...)
		return len(p), nil
	}
	n, err := c.Conn.Write(p)
	c.s.wbytes.Add(int64(n))
	return n, err
}

// ConnBytes returns how many bytes the session has read from its TCP
// connection and written to it so far (TLS records included). An
// in-process test runner compares them with what its client wrote and
// read: a session whose read count covers everything its client sent
// counted itself busy before counting those bytes, so once the server is
// also idle (WaitIdle) they have been handled; and once the client has
// read the written count, it has everything the server sent it. Unlike
// Pending this leaves no window between the kernel handing the bytes over
// and the session counting itself busy.
func (s *Session) ConnBytes() (read, written int64) {
	return s.rbytes.Load(), s.wbytes.Load()
}

// Pending reports whether the session has input it has not yet counted
// itself busy for (Linux only): bytes the kernel holds that no goroutine
// has started on, or bytes a Read has just taken whose reader has not yet
// counted itself busy again. The second is found by comparing the bytes
// the socket has received (netpoll.Received) with the session's read
// count, which is added only once the session is busy again.
func (s *Session) Pending() bool {
	read := s.rbytes.Load()
	if got, ok := netpoll.Received(s.raw); ok {
		return got > read
	}
	return netpoll.Unread(s.raw) > 0
}

// JID returns the session's full JID (zero before bind).
func (s *Session) JID() jid.JID {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.jid
}

// Secure reports whether STARTTLS completed on this session.
func (s *Session) Secure() bool { return s.secure }

func (s *Session) busy(n int) {
	if s.cfg.Busy != nil && n != 0 {
		s.cfg.Busy(n)
	}
}

// CloseWithError ends the session with a stream error (RFC 6120 section
// 4.9): the error and </stream:stream> are queued after everything already
// queued, then the connection is closed. Used for conflict on resource
// replacement and for shutdown. Before bind it just closes the connection.
func (s *Session) CloseWithError(cond stream.Error, text string) {
	s.boundWrites()
	b := streamErrorBytes(cond, text)
	s.mu.Lock()
	bound := s.bound
	s.mu.Unlock()
	if !bound || !s.enqueue(b, true) {
		// Not bound yet (negotiation writes directly) or already closing:
		// closing the socket makes the reader goroutine tear down.
		if !bound {
			_ = s.raw.Close()
		}
	}
}

// closeTimeout bounds the writes left when a session ends, so that a client
// that stopped reading cannot hold up teardown (and Server.Close) forever.
// A shorter Limits.WriteTimeout wins.
const closeTimeout = 10 * time.Second

// boundWrites puts the close deadline on the connection's writes,
// including one in progress, unless the session overflowed (its shorter
// deadline stands).
func (s *Session) boundWrites() {
	s.mu.Lock()
	overflowed := s.overflow != nil
	s.mu.Unlock()
	if overflowed {
		return
	}
	s.setWriteDeadline(time.Now().Add(min(closeTimeout, s.limits.WriteTimeout)))
}

func streamErrorBytes(cond stream.Error, text string) []byte {
	var b strings.Builder
	b.WriteString("<stream:error><")
	b.WriteString(cond.Err)
	b.WriteString(` xmlns="` + NSStreams + `"/>`)
	if text != "" {
		t := xmlnode.New(NSStreams, "text").SetText(text)
		b.Write(t.AppendTo(nil, NSStream))
	}
	b.WriteString("</stream:error></stream:stream>")
	return []byte(b.String())
}

// Run negotiates the stream and serves it until the connection ends or the
// session parks (park.go). Run may therefore return while the session
// lives on: Done and Config.Ended tell when it has ended, with its reader
// and writer goroutines done and the connection closed.
func (s *Session) Run() {
	// The session is busy from the start, except while blocked reading
	// (trackedConn) or parked.
	s.busy(1)
	s.setDeadline(time.Now().Add(s.limits.NegotiationTimeout))
	s.holdWrites()
	err := s.negotiate()
	if ferr := s.endHold(); err == nil {
		err = ferr
	}
	if err != nil {
		s.readerDone()
		s.failNegotiation(err)
		s.finish()
		return
	}
	// A failure here means the connection is gone; serve's first read
	// reports it and tears the session down. The write deadline is the
	// writer's once it runs (it arms one before every write): clearing it
	// under a running writer would leave a write to a client that does
	// not read blocked for ever.
	s.setReadDeadline(time.Time{})
	s.mu.Lock()
	if !s.writing {
		s.setWriteDeadline(time.Time{})
	}
	s.mu.Unlock()
	s.serve()
}

// finish runs last in a session's life, in whichever goroutine ends it.
func (s *Session) finish() {
	s.stopIdleTimer()
	s.leaveShare()
	if s.in != nil {
		s.in.reset(0) // its stanza's share of the in-flight budget
	}
	s.mu.Lock()
	s.releaseQueueLocked()
	s.mu.Unlock()
	if s.cfg.Poller != nil {
		s.cfg.Poller.Cancel(s.pollID)
	}
	s.busy(-1)
	close(s.closed)
	if s.cfg.Ended != nil {
		s.cfg.Ended(s)
	}
}

// Done is closed when the session has ended.
func (s *Session) Done() <-chan struct{} { return s.closed }

// streamErr is a stream-level failure to report to the peer.
type streamErr struct {
	cond stream.Error
	text string
	err  error
}

func (e *streamErr) Error() string {
	if e.err != nil {
		return fmt.Sprintf("c2s: stream error %s: %v", e.cond.Err, e.err)
	}
	return "c2s: stream error " + e.cond.Err + ": " + e.text
}

func (e *streamErr) Unwrap() error { return e.err }

func serr(cond stream.Error, text string) error { return &streamErr{cond: cond, text: text} }

// errPeerClosed reports the client's </stream:stream>.
var errPeerClosed = errors.New("c2s: peer closed the stream")

// serve is the bound session's read loop: every stanza is stamped and handed
// to the Handler, and the session is torn down when the stream ends. It
// returns early, leaving the session to a later resume, when it parks.
func (s *Session) serve() {
	var err error
	for {
		var el *xmlnode.Element
		el, err = s.next()
		if err == errParked {
			return
		}
		if err != nil {
			break
		}
		s.busy(1)
		s.chargeStanza(el) // stanzacost.go
		err = s.handle(el)
		s.busy(-1)
		if err != nil {
			break
		}
	}
	s.readerDone()
	s.teardown(err)
	s.finish()
}

func (s *Session) handle(el *xmlnode.Element) error {
	if el.Name.Space != NSClient {
		if h := s.cfg.elementHandler(el, Bound); h != nil {
			return h.Handle(s, el)
		}
		return serr(stream.UnsupportedStanzaType, "")
	}
	switch el.Name.Local {
	case "message", "presence", "iq":
	default:
		return serr(stream.UnsupportedStanzaType, "")
	}
	el.SetAttr("from", s.jid.String())
	s.handler.HandleStanza(el)
	return nil
}

// teardown ends a bound session: the host routes unavailable presence before
// the server's closing tag (or the stream error) is written, so a client
// that waits for our </stream:stream> knows routing has finished.
func (s *Session) teardown(cause error) {
	s.busy(1)
	defer s.busy(-1)
	s.boundWrites()
	var se *streamErr
	reason := ""
	switch {
	case errors.As(cause, &se):
		s.log.Info("c2s: stream error", "err", cause)
		reason = se.cond.Err
	case errors.Is(cause, errPeerClosed):
	default:
		s.log.Debug("c2s: connection ended", "err", cause)
		reason = "connection closed"
	}
	s.handler.Close(reason)
	if se != nil {
		s.enqueue(streamErrorBytes(se.cond, se.text), true)
	} else {
		s.enqueue([]byte("</stream:stream>"), true)
	}
	s.mu.Lock()
	s.closing = true
	s.startWriterLocked()
	s.mu.Unlock()
	<-s.wdone
	_ = s.conn.Close()
}
