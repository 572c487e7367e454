package c2s

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
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
	cfg    *Config
	limits Limits
	// declared are the namespaces the client's stream header declares:
	// a stanza may use a prefix only if it or the header declares it.
	declared []string
	log      *slog.Logger
	id       string

	conn   net.Conn // the stream's connection, TLS after STARTTLS
	raw    net.Conn // the TCP connection, safe to Close from any goroutine
	in     *countingReader
	dec    *xml.Decoder
	secure bool
	user   string // authenticated localpart, "" before SASL success

	// The outbound queue, guarded by mu. Send serialises stanzas straight
	// into out; a writer goroutine runs only while out holds something
	// (writing), so an idle session has neither a writer nor a buffer.
	mu      sync.Mutex
	jid     jid.JID
	handler Handler
	bound   bool // Send queues from now on
	closing bool // no more items accepted
	dead    bool // the connection failed or was closed under us
	out     *outBuf
	queued  int           // stanzas in out
	writing bool          // a writer goroutine runs (for good once closing)
	wdone   chan struct{} // closed when the last writer closed the connection
	closed  chan struct{} // closed when Run returns
}

// New wraps conn in a Session. Call Run to negotiate and serve it.
func New(conn net.Conn, cfg *Config) *Session {
	s := &Session{
		cfg:    cfg,
		limits: cfg.Limits.withDefaults(),
		log:    cfg.Logger,
		id:     strings.ToLower(rand.Text()[:16]),
		raw:    conn,
		wdone:  make(chan struct{}),
		closed: make(chan struct{}),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("conn", s.id, "remote", conn.RemoteAddr().String())
	s.conn = trackedConn{Conn: conn, s: s}
	s.setReader(s.conn)
	return s
}

// trackedConn is the session's view of its socket: the session counts as
// busy (Config.Busy) except while blocked reading it. Together with
// Pending this tells WaitIdle about bytes the session has received but not
// yet turned into routed stanzas, e.g. the second of two stanzas that came
// in one packet.
type trackedConn struct {
	net.Conn
	s *Session
}

func (c trackedConn) Read(p []byte) (int, error) {
	c.s.busy(-1)
	n, err := c.Conn.Read(p)
	c.s.busy(1)
	return n, err
}

// Pending reports whether the kernel holds bytes from the client that the
// session has not read yet (Linux only): input that will make the server
// busy although no goroutine has started on it.
func (s *Session) Pending() bool { return unreadBytes(s.raw) > 0 }

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

// Send queues st for writing to the client. It serialises st at once, so the
// caller may keep modifying or reuse st afterwards. It never blocks on the
// network; stanzas sent to a closing session are dropped.
func (s *Session) Send(st *xmlnode.Element) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.admitLocked() {
		return
	}
	s.out.b = st.AppendTo(s.out.b, NSClient)
	s.queuedLocked(false)
	if s.cfg.Trace {
		s.log.Debug("c2s: out", "xml", st.String())
	}
}

// enqueue appends the serialised b to the outbound queue; final marks the
// last item (the stream close), after which nothing more is accepted.
func (s *Session) enqueue(b []byte, final bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.admitLocked() {
		return false
	}
	s.out.b = append(s.out.b, b...)
	s.queuedLocked(final)
	if s.cfg.Trace {
		s.log.Debug("c2s: out", "xml", string(b))
	}
	return true
}

// admitLocked reports whether one more stanza may be queued, making sure
// out is there to take it. A full queue means the client does not read
// fast enough: the session is dropped.
func (s *Session) admitLocked() bool {
	if !s.bound || s.closing {
		return false
	}
	max := s.cfg.MaxQueue
	if max <= 0 {
		max = DefaultMaxQueue
	}
	if s.queued >= max {
		s.log.Warn("c2s: outbound queue full, disconnecting slow client", "queued", s.queued)
		s.closing, s.dead = true, true
		_ = s.raw.Close()
		s.startWriterLocked()
		return false
	}
	if s.out == nil {
		s.out = getOutBuf()
	}
	return true
}

// queuedLocked records one stanza appended to out and makes sure a writer
// will write it.
func (s *Session) queuedLocked(final bool) {
	s.queued++
	if final {
		s.closing = true
	}
	s.startWriterLocked()
}

// startWriterLocked starts the writer goroutine unless one runs. The
// session counts as busy (Config.Busy) for as long as a writer runs, which
// covers every queued stanza until it is written.
func (s *Session) startWriterLocked() {
	if s.writing {
		return
	}
	s.writing = true
	s.busy(1)
	go s.writer()
}

// writer drains the queue to the socket. It exits when the queue is empty,
// handing its buffers back to the pool, and a later Send starts a new one;
// once the session is closing, the writer that finds the queue empty (or
// the connection dead) closes the connection and wdone instead.
func (s *Session) writer() {
	var spare *outBuf // the buffer of the previous batch, for reuse
	for {
		s.mu.Lock()
		if s.dead || s.queued == 0 {
			if !s.closing {
				// Idle: let the buffers and this goroutine go.
				s.writing = false
				out := s.out
				s.out = nil
				s.mu.Unlock()
				putOutBuf(out)
				putOutBuf(spare)
				s.busy(-1)
				return
			}
			// Whatever ends the writer (final item written, write error,
			// overflow) ends the connection, which also unblocks the
			// reader. writing stays true: no writer starts again.
			s.queued, s.out = 0, nil
			s.mu.Unlock()
			putOutBuf(spare)
			_ = s.conn.Close()
			s.busy(-1)
			close(s.wdone) // last: teardown waits for it
			return
		}
		batch := s.out
		s.out, spare = spare, nil
		s.queued = 0
		closing := s.closing
		s.mu.Unlock()
		s.armWrite(closing)
		_, err := s.conn.Write(batch.b)
		if err != nil {
			s.mu.Lock()
			s.closing, s.dead = true, true
			s.mu.Unlock()
		}
		batch.b = batch.b[:0]
		spare = batch
	}
}

// outBuf is a session's outbound buffer: serialised stanzas waiting for
// the writer. Buffers are pooled across sessions, so that memory follows
// the sessions that are writing rather than every session's largest burst.
type outBuf struct{ b []byte }

// Buffers are handed out with room for a few typical stanzas, and kept
// in the pool only up to maxPooledOut: a rare huge burst does not pin its
// buffer forever.
const (
	initialOut   = 2048
	maxPooledOut = 16 << 10
)

var outPool = sync.Pool{New: func() any { return &outBuf{b: make([]byte, 0, initialOut)} }}

func getOutBuf() *outBuf { return outPool.Get().(*outBuf) }

func putOutBuf(o *outBuf) {
	if o == nil || cap(o.b) > maxPooledOut {
		return
	}
	o.b = o.b[:0]
	outPool.Put(o)
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
const closeTimeout = 10 * time.Second

func (s *Session) boundWrites() {
	_ = s.raw.SetWriteDeadline(time.Now().Add(closeTimeout))
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

// Run negotiates the stream and serves it until the connection ends. It
// returns when the reader and writer goroutines are both done and the
// connection is closed.
func (s *Session) Run() {
	defer close(s.closed)
	// The session is busy from the start, except while blocked reading
	// (trackedConn).
	s.busy(1)
	defer s.busy(-1)
	_ = s.raw.SetDeadline(time.Now().Add(s.limits.NegotiationTimeout))
	err := s.negotiate()
	if err != nil {
		s.failNegotiation(err)
		return
	}
	// A failure here means the connection is gone; serve's first read
	// reports it and tears the session down.
	_ = s.raw.SetDeadline(time.Time{})
	s.serve()
}

// Done is closed when Run has returned.
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

// failNegotiation reports err (a stream error if it is one) and closes the
// connection; nothing is bound yet, so there is nothing to route.
func (s *Session) failNegotiation(err error) {
	var se *streamErr
	switch {
	case errors.As(err, &se):
		s.log.Info("c2s: negotiation failed", "err", err)
		_, _ = s.conn.Write(streamErrorBytes(se.cond, se.text))
	case errors.Is(err, errPeerClosed):
		_, _ = s.conn.Write([]byte("</stream:stream>"))
	default:
		s.log.Debug("c2s: connection ended during negotiation", "err", err)
	}
	_ = s.conn.Close()
}

// classify maps a read error to the stream error RFC 6120 section 4.9.3
// prescribes, or returns it unchanged when the connection itself failed.
func classify(err error) error {
	var syn *xml.SyntaxError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errTooBig):
		return &streamErr{cond: stream.PolicyViolation, text: "stanza too large", err: err}
	case errors.Is(err, xmlnode.ErrDepth), errors.Is(err, xmlnode.ErrAttrs):
		return &streamErr{cond: stream.PolicyViolation, err: err}
	case errors.Is(err, xmlnode.ErrRestricted):
		return &streamErr{cond: stream.RestrictedXML, err: err}
	case errors.Is(err, xmlnode.ErrUndeclaredPrefix):
		return &streamErr{cond: stream.BadNamespacePrefix, err: err}
	case errors.As(err, &syn):
		if syn.Msg == "unexpected EOF" {
			return io.ErrUnexpectedEOF
		}
		return &streamErr{cond: stream.NotWellFormed, err: err}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return err
	}
	var ne net.Error
	var oe *net.OpError
	if errors.As(err, &ne) || errors.As(err, &oe) || errors.Is(err, net.ErrClosed) {
		return err
	}
	// Anything else from the decoder (bad UTF-8, bad attribute...) is the
	// peer's XML being wrong.
	return &streamErr{cond: stream.NotWellFormed, err: err}
}

// next reads the next top-level element of the stream: a stanza or a
// negotiation element. It returns errPeerClosed on </stream:stream>.
//
// The wait for the element's first byte, where an idle session spends its
// life, happens here rather than in readElement, whose large frame would
// otherwise sit on every idle session's stack and keep the runtime from
// shrinking it to its smallest size.
func (s *Session) next() (*xmlnode.Element, error) {
	s.in.reset(s.limits.MaxStanzaBytes)
	if err := s.awaitMarkup(); err != nil {
		return nil, err
	}
	return s.readElement()
}

// readElement reads the element whose '<' awaitMarkup found.
func (s *Session) readElement() (*xmlnode.Element, error) {
	for {
		s.in.reset(s.limits.MaxStanzaBytes)
		tok, err := s.dec.Token()
		if err != nil {
			return nil, s.classifyTimeout(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Space == NSStream && t.Name.Local == "stream" {
				// A stream header where a stanza belongs (a client
				// restarting without being asked): reading it as an element
				// would wait for the whole rest of the stream.
				return nil, serr(stream.UnsupportedStanzaType, "unexpected stream restart")
			}
			el, err := xmlnode.Read(s.dec, t, xmlnode.Limits{MaxDepth: s.limits.MaxDepth, MaxAttrs: s.limits.MaxAttrs, Declared: s.declared})
			if err != nil {
				return nil, s.classifyTimeout(err)
			}
			if s.cfg.Trace {
				s.log.Debug("c2s: in", "xml", el.String())
			}
			return el, nil
		case xml.EndElement:
			return nil, errPeerClosed
		case xml.CharData:
			if strings.TrimSpace(string(t)) != "" {
				return nil, serr(stream.NotWellFormed, "text between stanzas")
			}
		case xml.Comment, xml.ProcInst, xml.Directive:
			return nil, serr(stream.RestrictedXML, "")
		}
	}
}

// readHeader reads the client's stream header and answers with ours. Any
// stream error found here is reported after our header, as RFC 6120 section
// 4.9.1.1 requires.
func (s *Session) readHeader() error {
	s.in.reset(s.limits.MaxStanzaBytes)
	if err := s.awaitMarkup(); err != nil {
		var se *streamErr
		if errors.As(err, &se) {
			s.writeHeader()
		}
		return err
	}
	for {
		tok, err := s.dec.Token()
		if err != nil {
			err = classify(err)
			var se *streamErr
			if errors.As(err, &se) {
				s.writeHeader()
			}
			return err
		}
		switch t := tok.(type) {
		case xml.ProcInst:
			if t.Target != "xml" {
				s.writeHeader()
				return serr(stream.RestrictedXML, "")
			}
		case xml.CharData:
			if strings.TrimSpace(string(t)) != "" {
				s.writeHeader()
				return serr(stream.NotWellFormed, "text before the stream header")
			}
		case xml.StartElement:
			s.writeHeader()
			return s.checkHeader(t)
		default:
			s.writeHeader()
			return serr(stream.RestrictedXML, "")
		}
	}
}

func (s *Session) checkHeader(t xml.StartElement) error {
	if t.Name.Local != "stream" || t.Name.Space != NSStream {
		return serr(stream.InvalidNamespace, "expected a stream in "+NSStream)
	}
	var ns, to string
	s.declared = s.declared[:0]
	for _, a := range t.Attr {
		switch {
		case a.Name.Space == "xmlns":
			s.declared = append(s.declared, a.Value)
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			ns = a.Value
			s.declared = append(s.declared, a.Value)
		case a.Name.Space == "" && a.Name.Local == "to":
			to = a.Value
		}
	}
	if ns != NSClient {
		return serr(stream.InvalidNamespace, "the default namespace must be "+NSClient)
	}
	if to != "" && !strings.EqualFold(to, s.cfg.Domain) {
		return serr(stream.HostUnknown, "this server serves "+s.cfg.Domain)
	}
	return nil
}

func (s *Session) writeHeader() {
	h := `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='` + NSStream +
		`' id='` + s.id + strings.ToLower(rand.Text()[:8]) + `' from='` + escape(s.cfg.Domain) + `' version='1.0' xml:lang='en'>`
	_, _ = io.WriteString(s.conn, h)
}

func escape(v string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(v))
	return b.String()
}

// write sends an element directly during negotiation (no writer yet).
func (s *Session) write(el *xmlnode.Element) error {
	if s.cfg.Trace {
		s.log.Debug("c2s: out", "xml", el.String())
	}
	_, err := s.conn.Write(el.AppendTo(nil, NSClient))
	if err != nil {
		return fmt.Errorf("c2s: write: %w", err)
	}
	return nil
}

// negotiate runs the RFC 6120 stream negotiation up to a bound resource.
func (s *Session) negotiate() error {
	for {
		if err := s.readHeader(); err != nil {
			return err
		}
		if err := s.writeFeatures(s.features()); err != nil {
			return err
		}
		restart, err := s.negotiateStep()
		if err != nil {
			return err
		}
		if !restart {
			return nil // bound
		}
	}
}

// writeFeatures writes <stream:features> with the conventional prefix, which
// some clients match literally.
func (s *Session) writeFeatures(f *xmlnode.Element) error {
	if s.cfg.Trace {
		s.log.Debug("c2s: out", "xml", f.String())
	}
	b := []byte("<stream:features>")
	for _, c := range f.Elements() {
		b = c.AppendTo(b, NSStream)
	}
	b = append(b, "</stream:features>"...)
	if _, err := s.conn.Write(b); err != nil {
		return fmt.Errorf("c2s: write: %w", err)
	}
	return nil
}

func (s *Session) features() *xmlnode.Element {
	f := xmlnode.New(NSStream, "features")
	switch {
	case s.user == "":
		if s.cfg.TLS != nil && !s.secure {
			tls := f.AddChild(NSTLS, "starttls")
			if s.cfg.RequireTLS {
				tls.AddChild(NSTLS, "required")
			}
			if s.cfg.RequireTLS {
				return f
			}
		}
		m := f.AddChild(NSSASL, "mechanisms")
		for _, name := range s.cfg.mechanisms() {
			m.AddChild(NSSASL, "mechanism").SetText(name)
		}
	default:
		f.AddChild(NSBind, "bind")
		f.AddChild(NSSession, "session").AddChild(NSSession, "optional")
		// Roster versioning (RFC 6121 section 2.6) is answered by the host.
		f.AddChild("urn:xmpp:features:rosterver", "ver")
	}
	return f
}

// negotiateStep handles elements after one set of features until the stream
// restarts (true) or a resource is bound (false).
func (s *Session) negotiateStep() (restart bool, err error) {
	for {
		el, err := s.next()
		if err != nil {
			return false, err
		}
		switch {
		case el.Name.Space == NSTLS && el.Name.Local == "starttls" && s.user == "" && !s.secure && s.cfg.TLS != nil:
			return true, s.startTLS()
		case el.Name.Space == NSSASL && el.Name.Local == "auth" && s.user == "":
			if s.cfg.RequireTLS && !s.secure {
				return false, serr(stream.PolicyViolation, "STARTTLS is required")
			}
			if err := s.checkAuthRate(); err != nil {
				return false, err
			}
			ok, err := s.sasl(el)
			if err != nil {
				return false, err
			}
			if ok {
				s.resetDecoder()
				return true, nil
			}
		case el.Name.Space == NSClient && el.Name.Local == "iq" && s.user != "" && el.Child(NSBind, "bind") != nil:
			done, err := s.bind(el)
			if err != nil || done {
				return false, err
			}
		case s.user != "" && el.Name.Space == NSClient && el.Name.Local == "iq" && el.Attrib("type") != "result" && el.Attrib("type") != "error":
			// Anything else before bind (e.g. an early session iq): RFC
			// 6120 section 7.1 says the client must bind first.
			if err := s.write(errorReply(el, "wait", "not-allowed")); err != nil {
				return false, err
			}
		default:
			return false, serr(stream.NotAuthorized, "authenticate and bind first")
		}
	}
}

func (s *Session) startTLS() error {
	if err := s.write(xmlnode.New(NSTLS, "proceed")); err != nil {
		return err
	}
	tc := tls.Server(s.conn, s.cfg.TLS)
	if err := tc.Handshake(); err != nil {
		return fmt.Errorf("c2s: tls handshake: %w", err)
	}
	s.conn = tc
	s.secure = true
	s.setReader(tc)
	return nil
}

// bind handles a resource binding request (RFC 6120 section 7). It returns
// true once bound.
func (s *Session) bind(iq *xmlnode.Element) (bool, error) {
	if iq.Attrib("type") != "set" {
		return false, s.write(errorReply(iq, "modify", "bad-request"))
	}
	res := strings.TrimSpace(iq.Child(NSBind, "bind").ChildText(NSBind, "resource"))
	if res == "" {
		res = strings.ToLower(rand.Text()[:12])
	}
	full, err := jid.New(s.user, s.cfg.Domain, res)
	if err != nil {
		return false, s.write(errorReply(iq, "modify", "bad-request"))
	}
	reply := xmlnode.New(NSClient, "iq", "type", "result", "id", iq.Attrib("id"))
	reply.AddChild(NSBind, "bind").AddChild(NSBind, "jid").SetText(full.String())

	s.log = s.log.With("jid", full.String())
	s.mu.Lock()
	s.jid = full
	s.bound = true
	s.mu.Unlock()
	h, err := s.cfg.Host.Bind(s, full, reply)
	if err != nil {
		s.mu.Lock()
		s.queued, s.out = 0, nil
		s.closing = true
		s.startWriterLocked()
		s.mu.Unlock()
		<-s.wdone
		return false, fmt.Errorf("c2s: bind: %w", err)
	}
	s.mu.Lock()
	s.handler = h
	s.mu.Unlock()
	return true, nil
}

// errorReply builds the stanza error answer to st (RFC 6120 section 8.3).
func errorReply(st *xmlnode.Element, typ, cond string) *xmlnode.Element {
	r := xmlnode.New(NSClient, st.Name.Local, "type", "error")
	if id := st.Attrib("id"); id != "" {
		r.SetAttr("id", id)
	}
	r.AddChild(NSClient, "error", "type", typ).AddChild(NSStanzas, cond)
	return r
}

// serve is the bound session's read loop: every stanza is stamped and handed
// to the Handler, and the session is torn down when the stream ends.
func (s *Session) serve() {
	var err error
	for {
		var el *xmlnode.Element
		el, err = s.next()
		if err != nil {
			break
		}
		s.busy(1)
		err = s.handle(el)
		s.busy(-1)
		if err != nil {
			break
		}
	}
	s.teardown(err)
}

func (s *Session) handle(el *xmlnode.Element) error {
	if el.Name.Space != NSClient {
		return serr(stream.UnsupportedStanzaType, "")
	}
	switch el.Name.Local {
	case "message", "presence", "iq":
	default:
		return serr(stream.UnsupportedStanzaType, "")
	}
	el.SetAttr("from", s.jid.String())
	if el.Name.Local == "iq" && el.Child(NSSession, "session") != nil && el.Attrib("type") == "set" &&
		(el.Attrib("to") == "" || el.Attrib("to") == s.cfg.Domain) {
		// RFC 3921 session establishment: a no-op kept for old clients.
		s.Send(xmlnode.New(NSClient, "iq", "type", "result", "id", el.Attrib("id"), "to", s.jid.String()))
		return nil
	}
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
