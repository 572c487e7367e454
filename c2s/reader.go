package c2s

import (
	"encoding/xml"
	"errors"
	"io"
	"net"
	"strings"
	"sync"

	"mellium.im/xmpp/stream"

	"github.com/muctest/muctest/xmlnode"
)

// errTooBig is returned by the byte-counting reader when one stanza exceeds
// Limits.MaxStanzaBytes.
var errTooBig = errors.New("c2s: stanza exceeds the size limit")

// setReader (re)builds the decoding stack on r: a buffered reader that
// survives stream restarts, a byte counter for the stanza size limit, and a
// fresh xml.Decoder.
func (s *Session) setReader(r io.Reader) {
	if s.in != nil {
		s.in.release()
	}
	s.in = &countingReader{r: r}
	s.resetDecoder()
}

func (s *Session) resetDecoder() {
	s.dec = xml.NewDecoder(s.in)
	s.dec.Strict = true
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

var inPool = sync.Pool{New: func() any { return new([largeIn]byte) }}

// countingReader buffers the connection for the decoder, as its
// io.ByteReader (so encoding/xml adds no buffer of its own), and fails with
// errTooBig once more than limit bytes were read since the last reset.
type countingReader struct {
	r        io.Reader
	buf      []byte // small[:] or large[:]: buf[pos:end] is unread
	pos, end int
	full     bool  // the last read filled buf
	err      error // from a read that also returned data, for the next fill
	small    [smallIn]byte
	large    *[largeIn]byte // from inPool while a burst is being read

	n, limit int64
}

func (c *countingReader) reset(limit int64) { c.n, c.limit = 0, limit }

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
	return n, nil
}

func (c *countingReader) ReadByte() (byte, error) {
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
