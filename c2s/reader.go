package c2s

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"

	"mellium.im/xmpp/stream"

	"github.com/muctest/muctest/xmlnode"
	"github.com/muctest/muctest/xmlscan"
)

// errTooBig is returned by the byte-counting reader when one stanza exceeds
// Limits.MaxStanzaBytes.
var errTooBig = errors.New("c2s: stanza exceeds the size limit")

// setReader (re)builds the decoding stack on r: a buffered reader that
// survives stream restarts, a byte counter for the stanza size limit, and,
// once needed, a fresh xml.Decoder (newStream).
func (s *Session) setReader(r io.Reader) {
	if s.in != nil {
		s.in.releaseAll()
		s.in.reset(0)
	}
	s.in = &countingReader{r: r, pool: s.cfg.InFlight}
	s.newStream()
}

// newStream drops the decoder at the start of a stream (the first, or a
// restart after SASL or STARTTLS): readHeader makes a fresh one if the
// parser leaves the header to it, which it rarely does (headerFast), so
// that most sessions never make one.
func (s *Session) newStream() { s.dec = nil }

func (s *Session) resetDecoder() {
	s.dec = xml.NewDecoder(s.in)
	s.dec.Strict = true
}

// A parked session drops its decoder (about a KiB of namespace and token
// state kept between stanzas) and the next stanza gets a new one. The new
// decoder must see the stream as the old one did: inside the stream
// element, with the header's namespace declarations in scope. It is given
// a header with the same declarations, and the same prefix on the stream
// element so that the client's </stream:stream> still matches.

// standardHeader is the header most clients send, shared by their sessions.
var standardHeader = []byte(`<stream:stream xmlns="` + NSClient + `" xmlns:stream="` + NSStream + `">`)

// replayHeader returns what restoreDecoder feeds a new decoder for the
// header start, or nil when the header cannot be replayed faithfully, so
// that the session keeps its decoder: the stream namespace bound to
// several prefixes (which one the element used is lost), or a prefix bound
// to "xmlns" or to no namespace (an attribute of that prefix then looks
// like a declaration in start: <s:stream xmlns:p='xmlns' p:q='urn:q'>
// declares no q, but a replay of it would).
func replayHeader(start xml.StartElement) []byte {
	var streamPrefix, defaultNS string
	var buf [4]xml.Attr // the usual header declares two
	decls := buf[:0]
	for _, a := range start.Attr {
		if (a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns") &&
			(a.Value == "xmlns" || a.Value == "" && a.Name.Space == "xmlns") {
			return nil
		}
		switch {
		case a.Name.Space == "xmlns" && a.Value == NSStream:
			if streamPrefix != "" {
				return nil
			}
			streamPrefix = a.Name.Local
			decls = append(decls, a)
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			defaultNS = a.Value
			decls = append(decls, a)
		case a.Name.Space == "xmlns":
			decls = append(decls, a)
		}
	}
	if streamPrefix == "" {
		return nil
	}
	if streamPrefix == "stream" && len(decls) == 2 && defaultNS == NSClient {
		return standardHeader
	}
	var b strings.Builder
	b.WriteString("<" + streamPrefix + ":stream")
	for _, a := range decls {
		name := "xmlns"
		if a.Name.Space == "xmlns" {
			name += ":" + a.Name.Local
		}
		b.WriteString(" " + name + `="`)
		_ = xml.EscapeText(&b, []byte(a.Value))
		b.WriteString(`"`)
	}
	b.WriteString(">")
	return []byte(b.String())
}

// restoreDecoder gives a session that parked without its decoder a new
// one, positioned inside the stream element.
func (s *Session) restoreDecoder() error {
	s.resetDecoder()
	s.in.pre = s.header
	tok, err := s.dec.Token()
	if _, ok := tok.(xml.StartElement); err != nil || !ok || len(s.in.pre) != 0 {
		s.in.pre = nil
		return fmt.Errorf("c2s: replaying the stream header %q: %v", s.header, err)
	}
	return nil
}

// Read buffer sizes. A session waits for its client with only its own
// small buffer, which holds a typical stanza; when a read fills it, more
// is probably waiting, and the next read goes to a pooled large buffer,
// given back once drained. Idle sessions, the common case, then hold
// smallIn bytes rather than a large buffer each.
const (
	smallIn = 512
	largeIn = 4096
)

var (
	inPool    = sync.Pool{New: func() any { return new([largeIn]byte) }}
	smallPool = sync.Pool{New: func() any { return new([smallIn]byte) }}
)

// countingReader buffers the connection for the decoder, as its
// io.ByteReader (so encoding/xml adds no buffer of its own), and fails with
// errTooBig once more than limit bytes were read since the last reset.
type countingReader struct {
	r        io.Reader
	buf      []byte // small[:] or large[:]: buf[pos:end] is unread
	pos, end int
	full     bool  // the last read filled buf
	err      error // from a read that also returned data, for the next fill
	// small is the buffer of a session waiting in Read, large the one of
	// a burst; both come from pools, and a parked session has neither.
	small *[smallIn]byte
	large *[largeIn]byte

	n, limit int64
	// pool is the server's budget of bytes being read (inflight.go) and
	// charged what this stanza took from it.
	pool    *Budget
	charged int64
	// pre is read before anything else, by ReadByte only: the replayed
	// stream header of a restored decoder (restoreDecoder).
	pre []byte
	// st is the client's stream header as the one-pass parser needs it
	// (fastread.go); nil until the header is read, or when the parser
	// cannot describe it.
	st *xmlscan.Stream
	// decoderOnly leaves everything to the decoder, as before the
	// parser: what the tests compare the parser with.
	decoderOnly bool
}

func (c *countingReader) reset(limit int64) {
	c.n, c.limit = 0, limit
	if c.charged != 0 {
		c.uncharge()
	}
}

// fill reads into an empty buffer, choosing its size as the type's comment
// says.
func (c *countingReader) fill() error {
	if c.err != nil {
		err := c.err
		c.err = nil
		return err
	}
	if c.full {
		if c.large == nil {
			c.large = inPool.Get().(*[largeIn]byte)
		}
		c.buf = c.large[:]
	} else {
		c.release()
		if c.small == nil {
			c.small = smallPool.Get().(*[smallIn]byte)
		}
		c.buf = c.small[:]
	}
	for range 100 {
		n, err := c.r.Read(c.buf)
		c.pos, c.end, c.full = 0, n, n == len(c.buf)
		if n > 0 {
			c.err = err
			return nil
		}
		if err != nil {
			return err
		}
	}
	return io.ErrNoProgress
}

// release gives the large buffer back to the pool; the unread part of buf
// must be empty.
func (c *countingReader) release() {
	if c.large != nil {
		inPool.Put(c.large)
		c.large = nil
		c.buf = nil
	}
}

// releaseAll gives both buffers back to their pools (a session about to
// park); the unread part of buf must be empty.
func (c *countingReader) releaseAll() {
	c.release()
	if c.small != nil {
		smallPool.Put(c.small)
		c.small = nil
		c.buf = nil
	}
	c.pos, c.end = 0, 0
}

// buffered reports how many bytes are buffered and unread.
func (c *countingReader) buffered() int { return c.end - c.pos }

// peek returns the next byte without consuming it or counting it.
func (c *countingReader) peek() (byte, error) {
	if c.pos == c.end {
		if err := c.fill(); err != nil {
			return 0, err
		}
	}
	return c.buf[c.pos], nil
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.limit > 0 {
		if c.n >= c.limit {
			return 0, errTooBig
		}
		if rem := c.limit - c.n; int64(len(p)) > rem {
			p = p[:rem]
		}
	}
	if len(p) == 0 {
		return 0, nil
	}
	if c.pos == c.end {
		if err := c.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, c.buf[c.pos:c.end])
	c.pos += n
	c.n += int64(n)
	for c.n > c.charged+inflightFree {
		if err := c.charge(); err != nil {
			return n, err
		}
	}
	return n, nil
}

func (c *countingReader) ReadByte() (byte, error) {
	if len(c.pre) > 0 {
		b := c.pre[0]
		c.pre = c.pre[1:]
		return b, nil
	}
	if c.limit > 0 && c.n >= c.limit {
		return 0, errTooBig
	}
	if c.pos == c.end {
		if err := c.fill(); err != nil {
			return 0, err
		}
	}
	b := c.buf[c.pos]
	c.pos++
	c.n++
	if c.n > c.charged+inflightFree {
		if err := c.charge(); err != nil {
			return 0, err
		}
	}
	return b, nil
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
	case errors.Is(err, errInFlight):
		return &streamErr{cond: stream.ResourceConstraint, text: "server busy reading large stanzas", err: err}
	case errors.Is(err, xmlnode.ErrDepth), errors.Is(err, xmlnode.ErrAttrs), errors.Is(err, xmlnode.ErrElements),
		errors.Is(err, xmlnode.ErrTreeBytes):
		return &streamErr{cond: stream.PolicyViolation, err: err}
	case errors.Is(err, xmlnode.ErrRestricted):
		return &streamErr{cond: stream.RestrictedXML, err: err}
	case errors.Is(err, xmlnode.ErrName), errors.Is(err, xmlnode.ErrDuplicateAttr):
		return &streamErr{cond: stream.NotWellFormed, err: err}
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

// stanzaLimit is the byte limit of the next top-level element: until a
// resource is bound, Limits.MaxUnauthedStanzaBytes.
func (s *Session) stanzaLimit() int64 {
	if s.handler == nil {
		return s.limits.MaxUnauthedStanzaBytes
	}
	return s.limits.MaxStanzaBytes
}

// next reads the next top-level element of the stream: a stanza or a
// negotiation element. It returns errPeerClosed on </stream:stream>.
//
// The wait for the element's first byte, where an idle session spends its
// life, happens here rather than in readElement, whose large frame would
// otherwise sit on every idle session's stack and keep the runtime from
// shrinking it to its smallest size.
func (s *Session) next() (*xmlnode.Element, error) {
	s.in.reset(s.stanzaLimit())
	if err := s.awaitMarkup(); err != nil {
		return nil, err
	}
	return s.readElement()
}

// readElement reads the element whose '<' awaitMarkup found: with the
// one-pass parser (readFast) when it can, with the decoder otherwise.
func (s *Session) readElement() (*xmlnode.Element, error) {
	lim := xmlnode.Limits{
		MaxDepth: s.limits.MaxDepth, MaxAttrs: s.limits.MaxAttrs, MaxElements: s.limits.MaxElements,
		MaxTreeBytes: s.limits.MaxTreeBytes, Declared: s.declared,
	}
	if s.in.st != nil && !s.in.decoderOnly {
		if el, err, done := s.readFast(lim); done {
			if err == nil && s.cfg.Trace {
				s.log.Debug("c2s: in", "xml", el.String())
			}
			return el, err
		}
	}
	if s.dec == nil {
		if err := s.restoreDecoder(); err != nil {
			return nil, err
		}
	}
	for {
		s.in.reset(s.stanzaLimit())
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
			el, err := xmlnode.Read(s.dec, t, lim)
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
