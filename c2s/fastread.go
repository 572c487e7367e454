package c2s

import (
	"encoding/xml"
	"io"
	"sync"

	"github.com/muctest/muctest/xmlnode"
	"github.com/muctest/muctest/xmlscan"
)

// This file reads a stream's elements with the one-pass parser of package
// xmlscan, from the session's read buffer, and leaves to the decoder
// (readElement's loop) every element the parser does not take: encoding/xml
// then reads it from its first byte, as if the parser had never looked,
// and decides the tree or the stream error as before. The parser took the
// decoder's token stream and xmlnode.Read's tree building, the largest
// part of the server's CPU time in a script run, down to one pass.
//
// Nothing the decoder holds between two top-level elements depends on the
// elements themselves (it is inside the stream element, with the header's
// namespaces, having read nothing past the last element's '>'), so the
// two may take turns on one stream; a parked session needs no decoder at
// all until an element needs one (restoreDecoder).
//
// The limits hold as they do for the decoder: the parser leaves to it an
// element over any xmlnode.Limits field, over the stanza's byte limit,
// with a duplicate attribute or an undeclared prefix, or a stream restart;
// the in-flight budget is charged for what the parser holds as the decoder
// would have been charged for it; and the parser waits for more input
// only where the decoder would (xmlscan's NeedMore), so that a stream
// error comes when it did before.

// fastTries is how many reads one element may take before the decoder
// takes it: a stanza that arrives a few bytes at a time is parsed again
// after each read, and past a few reads the decoder, which reads it once,
// is cheaper.
const fastTries = 8

// parsers hold the parsers' scratch, shared by the sessions of the process
// (a session parses one element at a time, and an idle one none).
var parsers = sync.Pool{New: func() any { return new(xmlscan.Parser) }}

// standardStream is xmlscan's view of standardHeader.
var standardStream = xmlscan.NewStream(xml.StartElement{
	Name: xml.Name{Space: NSStream, Local: "stream"},
	Attr: []xml.Attr{
		{Name: xml.Name{Local: "xmlns"}, Value: NSClient},
		{Name: xml.Name{Space: "xmlns", Local: "stream"}, Value: NSStream},
	},
}, "stream:stream")

// setStream gives the parser the client's stream header t (checkHeader
// calls it once the header is good), unless the decoder read it as an
// empty element (<stream:stream/>): the decoder then holds the stream's
// end back for its next token, which the parser would step over. The
// decoder stops at the header's '>', so the bytes before it tell.
func (s *Session) setStream(t xml.StartElement) {
	c := s.in
	if s.dec != nil && !(c.pos >= 2 && c.buf[c.pos-1] == '>' && c.buf[c.pos-2] != '/') {
		c.st = nil
		return
	}
	c.st = streamOf(t, s.header)
}

// streamOf returns the parser's view of the client's stream header t,
// whose replayHeader is replay: its declarations, and the stream element's
// name for the closing tag when replay knows its prefix. Nil (a header
// xmlscan cannot describe) leaves every element to the decoder.
func streamOf(t xml.StartElement, replay []byte) *xmlscan.Stream {
	if len(replay) > 0 && &replay[0] == &standardHeader[0] {
		return standardStream
	}
	qname := ""
	// replayHeader writes the prefix the stream element has; nil leaves
	// the closing tag to the decoder.
	for i, c := range replay {
		if c == ' ' || c == '>' {
			qname = string(replay[1:i])
			break
		}
	}
	return xmlscan.NewStream(t, qname)
}

// headerFast reads the client's stream header (and an XML declaration
// before it) with the parser, when it is whole in the buffer and one that
// restoreDecoder can replay: the decoder, which has not seen it, is then
// dropped as a parked session's is, and made again from the replayed
// header only if an element needs it. False, with nothing consumed, leaves
// the header to the decoder.
func (s *Session) headerFast() (xml.StartElement, bool) {
	c := s.in
	if c.decoderOnly {
		return xml.StartElement{}, false
	}
	p := parsers.Get().(*xmlscan.Parser)
	_, start, n, oc := p.Header(c.buf[c.pos:c.end])
	parsers.Put(p)
	// Within the byte limit, and short enough to take nothing from the
	// in-flight budget (as every real header is).
	if oc != xmlscan.Parsed || c.limit > 0 && c.n+int64(n) > c.limit || c.n+int64(n) > inflightFree ||
		replayHeader(start) == nil {
		return xml.StartElement{}, false
	}
	if err := c.consume(n); err != nil {
		return xml.StartElement{}, false // not reached: within inflightFree
	}
	s.dec = nil
	return start, true
}

// readFast reads the next element with the parser; done false leaves it,
// with nothing of it consumed, to the decoder.
func (s *Session) readFast(lim xmlnode.Limits) (el *xmlnode.Element, err error, done bool) {
	c := s.in
	c.reset(s.stanzaLimit())
	p := parsers.Get().(*xmlscan.Parser)
	defer parsers.Put(p)
	for tries := 0; ; tries++ {
		el, n, oc := p.Next(c.st, lim, c.buf[c.pos:c.end])
		switch oc {
		case xmlscan.Parsed, xmlscan.End:
			if c.limit > 0 && c.n+int64(n) > c.limit {
				return nil, nil, false // the decoder meets the limit
			}
			if err := c.consume(n); err != nil {
				return nil, classify(err), true
			}
			if oc == xmlscan.End {
				return nil, errPeerClosed, true
			}
			return el, nil, true
		case xmlscan.NeedMore:
			if tries < fastTries {
				more, err := c.readMore()
				if err != nil {
					return nil, classify(err), true
				}
				if more {
					continue
				}
			}
		}
		return nil, nil, false
	}
}

// consume takes n parsed bytes off the buffer, counting them as ReadByte
// would have.
func (c *countingReader) consume(n int) error {
	c.pos += n
	c.n += int64(n)
	return c.chargeTo(c.n)
}

// chargeTo takes from the in-flight budget what a stanza of n bytes read
// so far holds of it (inflight.go).
func (c *countingReader) chargeTo(n int64) error {
	for n > c.charged+inflightFree {
		if err := c.charge(); err != nil {
			return err
		}
	}
	return nil
}

// readMore reads more of an element that the parser found cut off by the
// end of the buffer, behind the buffered part: into the large buffer, the
// unread bytes moved to its start. False (with nothing consumed) leaves
// the element to the decoder: it fills the large buffer already, it has
// reached the stanza's byte limit (where the decoder fails at once), or a
// read failed (the decoder meets the failure, held in c.err, once it has
// read the buffered part, as it would have). Before it waits, the budget
// is charged for the buffered part, as it would have been for the decoder
// that read it.
func (c *countingReader) readMore() (bool, error) {
	held := c.end - c.pos
	if c.limit > 0 && int64(held) >= c.limit-c.n {
		return false, nil
	}
	if err := c.chargeTo(c.n + int64(held)); err != nil {
		return false, err
	}
	if c.err != nil {
		return false, nil
	}
	switch {
	case len(c.buf) < largeIn:
		if c.large == nil {
			c.large = inPool.Get().(*[largeIn]byte)
		}
		copy(c.large[:], c.buf[c.pos:c.end])
		c.buf = c.large[:]
	case c.pos == 0:
		return false, nil
	default:
		copy(c.buf, c.buf[c.pos:c.end])
	}
	c.pos, c.end = 0, held
	for range 100 {
		n, err := c.r.Read(c.buf[c.end:])
		c.end += n
		c.full = c.end == len(c.buf)
		if err != nil {
			c.err = err
		}
		if n > 0 {
			return true, nil
		}
		if err != nil {
			return false, nil
		}
	}
	c.err = io.ErrNoProgress
	return false, nil
}
