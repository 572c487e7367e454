package streamframe

import (
	"bytes"
	"errors"
)

// Kind is what a Splitter found in the server's output.
type Kind uint8

// Kinds of output items.
const (
	// Element is a complete top-level element (a stanza, features, a
	// SASL or stream error element), made standalone: it declares the
	// namespaces it relies on from the stream header.
	Element Kind = iota
	// Header is the server's stream header start tag, <stream:stream ...>
	// (the XML declaration before it is dropped).
	Header
	// Close is the server's </stream:stream>.
	Close
)

// ErrOutput reports output that is not a sequence of elements: text at the
// top level, or an item larger than MaxItem. The server never writes it;
// it would be a bug.
var ErrOutput = errors.New("streamframe: output is not a sequence of top-level elements")

// MaxItem bounds one buffered output item (a stanza split across writes).
// The server writes whole stanzas, each far smaller than this.
const MaxItem = 16 << 20

// Splitter cuts the byte stream a c2s session writes into items, one per
// top-level element, for a transport that sends elements one at a time.
// Elements the server wrote relying on the stream's default namespace
// (jabber:client) or on its stream prefix get the declaration added, as
// RFC 7395 section 3.3.3 requires of every WebSocket message and XEP-0206
// of stanzas inside a BOSH body. The zero value is ready.
type Splitter struct {
	sc      Scanner
	buf     []byte // a partial item carried over from the previous Feed
	start   int    // offset of the current item's '<' in the data being scanned, -1 when none
	nameEnd int    // offset of the byte ending the current item's name, -1 before it
	scratch []byte // the fixed-up element handed to emit
}

// Feed scans p and calls emit once per complete item, in order, with its
// bytes (valid only during the call). Bytes of an unfinished item are kept
// for the next Feed. An error from emit is returned as is.
func (sp *Splitter) Feed(p []byte, emit func(Kind, []byte) error) error {
	data, from := p, 0 // from: where the bytes not scanned yet begin
	if len(sp.buf) > 0 {
		from = len(sp.buf)
		sp.buf = append(sp.buf, p...)
		data = sp.buf
	} else {
		sp.start, sp.nameEnd = -1, -1
	}
	keep := -1 // offset from which data must be kept
	err := sp.sc.Scan(data[from:], func(i int, ev Event) error {
		i += from
		switch ev {
		case EvStart:
			sp.start, sp.nameEnd = i, -1
		case EvNameEnd:
			sp.nameEnd = i
		case EvStartOpen:
			if sp.nameEnd < 0 {
				sp.nameEnd = i
			}
			if sp.sc.Name() == "stream:stream" {
				// The header is complete as a start tag: it opens the
				// stream and never closes as an element.
				sp.sc.Depth = 0
				start := sp.start
				sp.start = -1
				return emit(Header, data[start:i+1])
			}
		case EvElement:
			if sp.nameEnd < 0 {
				sp.nameEnd = i
			}
			start := sp.start
			sp.start = -1
			return emit(Element, sp.fix(data[start:i+1], sp.nameEnd-start))
		case EvEndTag:
			start := sp.start
			sp.start = -1
			return emit(Close, data[start:i+1])
		case EvPI, EvOther:
			sp.start = -1 // the XML declaration: nothing to send
		case EvText:
			return ErrOutput
		}
		return nil
	})
	if err != nil {
		sp.buf, sp.start = sp.buf[:0], -1
		return err
	}
	if sp.start >= 0 {
		keep = sp.start
	}
	if keep < 0 {
		sp.buf = sp.buf[:0]
		return nil
	}
	if len(data)-keep > MaxItem {
		return ErrOutput
	}
	// Keep the unfinished item, rebasing its offsets.
	rest := data[keep:]
	if len(sp.buf) > 0 {
		n := copy(sp.buf, rest)
		sp.buf = sp.buf[:n]
	} else {
		sp.buf = append(sp.buf[:0], rest...)
	}
	sp.start -= keep
	if sp.nameEnd >= 0 {
		sp.nameEnd -= keep
	}
	return nil
}

// fix returns el with the namespace declaration it needs to stand alone,
// inserted at offset at (where its name ends).
func (sp *Splitter) fix(el []byte, at int) []byte {
	var decl string
	switch prefix := sp.sc.Prefix(); {
	case prefix == "" && !sp.sc.HasXMLNS:
		decl = ` xmlns="` + NSClient + `"`
	case prefix == "stream" && !sp.sc.HasStreamNS:
		decl = ` xmlns:stream="` + NSStream + `"`
	default:
		return el
	}
	sp.scratch = append(sp.scratch[:0], el[:at]...)
	sp.scratch = append(sp.scratch, decl...)
	sp.scratch = append(sp.scratch, el[at:]...)
	if cap(sp.scratch) > 64<<10 {
		// Do not keep a huge stanza's buffer for the rest of the session.
		out := sp.scratch
		sp.scratch = nil
		return out
	}
	return sp.scratch
}

// Attr returns the raw (still escaped) value of attribute name in the
// start tag tag, written by the server, and whether it is there.
func Attr(tag []byte, name string) (string, bool) {
	var value string
	found := false
	Attrs(tag, func(n, v string) bool {
		if n == name {
			value, found = v, true
			return false
		}
		return true
	})
	return value, found
}

// Attrs calls fn with the name and raw (still escaped) value of every
// attribute of the start tag tag, in order, until fn returns false. tag is
// trusted output (a stream header): on anything unexpected Attrs stops.
func Attrs(tag []byte, fn func(name, value string) bool) {
	i := bytes.IndexAny(tag, " \t\r\n")
	if i < 0 {
		return
	}
	for i < len(tag) {
		for i < len(tag) && isSpace(tag[i]) {
			i++
		}
		eq := bytes.IndexByte(tag[i:], '=')
		if eq < 0 {
			return
		}
		n := string(bytes.TrimSpace(tag[i : i+eq]))
		i += eq + 1
		for i < len(tag) && isSpace(tag[i]) {
			i++
		}
		if i >= len(tag) || (tag[i] != '"' && tag[i] != '\'') {
			return
		}
		q := tag[i]
		end := bytes.IndexByte(tag[i+1:], q)
		if end < 0 {
			return
		}
		v := string(tag[i+1 : i+1+end])
		i += end + 2
		if !fn(n, v) {
			return
		}
	}
}
