package client

import (
	"encoding/xml"
	"io"
	"sync"

	"github.com/muctest/muctest/xmlnode"
	"github.com/muctest/muctest/xmlscan"
)

// streamReader reads the server's half of an XML stream: its header, then
// one top-level element at a time as an *xmlnode.Element.
//
// It parses what servers write (ASCII names, the five predefined entities,
// UTF-8 text, elements that arrive in a few reads) with package xmlscan, in
// one pass over its buffer: encoding/xml's token stream allocates for every
// name and attribute and was, with the trees built from it, a fifth of the
// CPU time of a short script run against the in-process server. Everything
// else (a comment, a CDATA section, a character reference, a non-ASCII
// name, a carriage return, a limit reached, an element split over many
// reads, and any malformed input) goes to encoding/xml and
// xmlnode.ReadNext, as before this reader existed, on a decoder that is
// first shown the stream header again so that it sees the same
// namespaces. The outcome, tree or error, is the same either way;
// FuzzStreamReader compares the two.
type streamReader struct {
	r        io.Reader
	buf      []byte          // buf[pos:end] is read and not yet parsed
	pooled   *[readSize]byte // buf's array while it is the pool's
	pos, end int
	rerr     error // the last read's error, returned once buf is drained

	lim xmlnode.Limits
	p   xmlscan.Parser
	// st is the stream's header as the fast path needs it (its
	// namespaces, its start tag as the server sent it, for the
	// fallback decoder, and its name, for the closing tag).
	st *xmlscan.Stream
	// dec, when set, reads the rest of this stream: the header itself
	// needed encoding/xml.
	dec *xml.Decoder
	// slow reads the elements the fast path leaves to encoding/xml. It is
	// made at the first of them, shown the header first (pre, which
	// ReadByte serves before the stream), and kept for the others: after
	// an element it stands at the stream's top level, having read nothing
	// past the element's last '>', wherever the fast path leaves the
	// stream next.
	slow *xml.Decoder
	pre  []byte
	err  error // sticky: the stream is broken
}

// Buffer sizes: what a read asks for at least; how many times an element
// that ends past the buffer is parsed again after another read before
// encoding/xml takes it; and from what size on encoding/xml takes such an
// element at once. A small stanza split over two reads costs a second
// quick pass; a large one (an avatar, an archive page) is read by
// encoding/xml as it arrives, as fast as before this reader, and with no
// pass of ours over it again and again.
const (
	readSize   = 16 << 10
	maxTries   = 8
	bigElement = 8 << 10
)

// readBufs holds the readers' first buffers: a script's connections live
// for milliseconds, and a fresh 16 KiB each was a seventh of the bytes a
// script run allocated.
var readBufs = sync.Pool{New: func() any { return new([readSize]byte) }}

func newStreamReader(r io.Reader, lim xmlnode.Limits) *streamReader {
	b := readBufs.Get().(*[readSize]byte)
	return &streamReader{r: r, buf: b[:], pooled: b, lim: lim}
}

// release gives the buffer back to the pool once nothing reads any more
// (every string handed out was copied out of it).
func (sr *streamReader) release() {
	if sr.pooled != nil {
		readBufs.Put(sr.pooled)
	}
	sr.pooled, sr.buf, sr.pos, sr.end = nil, nil, 0, 0
	if sr.rerr == nil {
		sr.rerr = io.ErrClosedPipe
	}
}

// fill reads more input behind what is buffered, compacting or growing
// the buffer when it is full.
func (sr *streamReader) fill() error {
	if sr.rerr != nil {
		return sr.rerr
	}
	if sr.pos == sr.end {
		sr.pos, sr.end = 0, 0
	}
	if sr.end == len(sr.buf) {
		if n := sr.end - sr.pos; n < len(sr.buf)/2 {
			copy(sr.buf, sr.buf[sr.pos:sr.end])
			sr.pos, sr.end = 0, n
		} else {
			nb := make([]byte, 2*len(sr.buf))
			sr.end = copy(nb, sr.buf[sr.pos:sr.end])
			sr.pos, sr.buf = 0, nb
			if sr.pooled != nil {
				readBufs.Put(sr.pooled)
				sr.pooled = nil
			}
		}
	}
	for range 100 {
		n, err := sr.r.Read(sr.buf[sr.end:])
		sr.end += n
		if err != nil {
			sr.rerr = err
		}
		if n > 0 {
			return nil
		}
		if err != nil {
			return err
		}
	}
	sr.rerr = io.ErrNoProgress
	return sr.rerr
}

// ReadByte serves encoding/xml on the slow path, from the same buffer.
func (sr *streamReader) ReadByte() (byte, error) {
	if len(sr.pre) > 0 {
		b := sr.pre[0]
		sr.pre = sr.pre[1:]
		return b, nil
	}
	if sr.pos == sr.end {
		if err := sr.fill(); err != nil {
			return 0, err
		}
	}
	b := sr.buf[sr.pos]
	sr.pos++
	return b, nil
}

// Read is io.Reader for xml.NewDecoder, which reads through ReadByte.
func (sr *streamReader) Read(p []byte) (int, error) {
	if len(sr.pre) > 0 {
		n := copy(p, sr.pre)
		sr.pre = sr.pre[n:]
		return n, nil
	}
	if sr.pos == sr.end {
		if err := sr.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, sr.buf[sr.pos:sr.end])
	sr.pos += n
	return n, nil
}

// readHeader reads up to and including the server's stream start tag
// (skipping an XML declaration) and returns it as encoding/xml would.
// Input buffered behind it stays for next: a server answering pipelined
// input may have sent the first elements already.
func (sr *streamReader) readHeader() (xml.StartElement, error) {
	sr.dec, sr.slow, sr.pre, sr.err, sr.st = nil, nil, nil, nil, nil
	for tries := 0; ; tries++ {
		st, start, n, oc := sr.p.Header(sr.buf[sr.pos:sr.end])
		if oc == xmlscan.Parsed {
			sr.pos += n
			sr.st = st
			return start, nil
		}
		if oc == xmlscan.Fallback || tries == maxTries || sr.fill() != nil {
			break
		}
	}
	sr.dec = xml.NewDecoder(sr)
	sr.dec.Strict = true
	for {
		tok, err := sr.dec.Token()
		if err != nil {
			return xml.StartElement{}, err
		}
		if t, ok := tok.(xml.StartElement); ok {
			return t, nil
		}
	}
}

// next reads the next top-level element; xmlnode.ErrEnd is the stream's
// closing tag.
func (sr *streamReader) next() (*xmlnode.Element, error) {
	if sr.err != nil {
		return nil, sr.err
	}
	var el *xmlnode.Element
	var err error
	if sr.dec != nil {
		el, err = xmlnode.ReadNext(sr.dec, sr.lim)
	} else {
		el, err = sr.nextFast()
	}
	if err != nil {
		sr.err = err
	}
	return el, err
}

func (sr *streamReader) nextFast() (*xmlnode.Element, error) {
	for tries := 0; ; tries++ {
		el, n, oc := sr.p.Next(sr.st, sr.lim, sr.buf[sr.pos:sr.end])
		sr.pos += n // past the element, or the whitespace before it
		switch {
		case oc == xmlscan.End:
			return nil, xmlnode.ErrEnd
		case oc == xmlscan.Parsed:
			return el, nil
		case oc == xmlscan.NeedMore && tries < maxTries && sr.end-sr.pos < bigElement && sr.fill() == nil:
			continue
		}
		// encoding/xml takes this one element (or the error).
		if sr.slow == nil {
			sr.pre = sr.st.StartTag()
			sr.slow = xml.NewDecoder(sr)
			sr.slow.Strict = true
			if _, err := sr.slow.Token(); err != nil {
				return nil, err
			}
		}
		return xmlnode.ReadNext(sr.slow, sr.lim)
	}
}
