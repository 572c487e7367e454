package record

import (
	"bufio"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/muctest/muctest/xmlnode"
)

// Namespaces of the stream layer (RFC 6120) and of what the proxy looks at.
const (
	nsClient   = "jabber:client"
	nsStream   = "http://etherx.jabber.org/streams"
	nsTLS      = "urn:ietf:params:xml:ns:xmpp-tls"
	nsSASL     = "urn:ietf:params:xml:ns:xmpp-sasl"
	nsSASL2    = "urn:xmpp:sasl:2"
	nsBind     = "urn:ietf:params:xml:ns:xmpp-bind"
	nsSession  = "urn:ietf:params:xml:ns:xmpp-session"
	nsRoster   = "jabber:iq:roster"
	nsDiscoI   = "http://jabber.org/protocol/disco#info"
	nsDiscoIt  = "http://jabber.org/protocol/disco#items"
	nsPing     = "urn:xmpp:ping"
	streamTail = "</stream:stream>"
)

// Defaults for Config.Limits fields left zero.
const (
	defaultMaxStanza = 1 << 20
	defaultMaxDepth  = 64
	defaultMaxAttrs  = 256
)

// errTooBig reports an element over Limits.MaxStanzaBytes; errText, text
// between top-level elements.
var (
	errTooBig = errors.New("record: element larger than the stanza size limit")
	errText   = errors.New("record: text between elements")
)

// itemKind is what a stream reader found next.
type itemKind int

const (
	itemHeader  itemKind = iota // a <stream:stream> start tag (also a restart)
	itemElement                 // a top-level element: stanza or nonza
	itemEnd                     // </stream:stream>
)

// item is one thing read off a stream.
type item struct {
	kind   itemKind
	header xml.StartElement
	el     *xmlnode.Element
}

// countingReader counts the bytes read since the last reset and fails past
// max, so that one element cannot make the proxy buffer without bound.
type countingReader struct {
	r   io.Reader
	n   int64
	max int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.n >= c.max {
		return 0, errTooBig
	}
	if int64(len(p)) > c.max-c.n {
		p = p[:c.max-c.n]
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// streamReader reads one direction of an XMPP stream as headers, elements
// and the end tag. A stream restart (after STARTTLS on the same decoder is
// impossible, but after SASL it is how RFC 6120 works) shows up as a nested
// <stream:stream>, which encoding/xml accepts; the reader hands it out as
// another header.
type streamReader struct {
	cr  *countingReader
	br  *bufio.Reader
	d   *xml.Decoder
	lim xmlnode.Limits
}

func newStreamReader(r io.Reader, maxBytes int64, lim xmlnode.Limits) *streamReader {
	cr := &countingReader{r: r, max: maxBytes}
	br := bufio.NewReaderSize(cr, 4096)
	d := xml.NewDecoder(br)
	return &streamReader{cr: cr, br: br, d: d, lim: lim}
}

// next returns the next header, element or end of stream.
func (s *streamReader) next() (item, error) {
	s.cr.n = int64(s.br.Buffered())
	for {
		tok, err := s.d.Token()
		if err != nil {
			return item{}, err
		}
		switch t := tok.(type) {
		case xml.ProcInst, xml.CharData:
			// The XML declaration and whitespace keepalives.
			if cd, ok := t.(xml.CharData); ok && strings.TrimSpace(string(cd)) != "" {
				return item{}, fmt.Errorf("%w: %.40q", errText, cd)
			}
		case xml.StartElement:
			if t.Name.Space == nsStream && t.Name.Local == "stream" {
				return item{kind: itemHeader, header: t.Copy()}, nil
			}
			el, err := xmlnode.Read(s.d, t, s.lim)
			if err != nil {
				return item{}, err
			}
			return item{kind: itemElement, el: el}, nil
		case xml.EndElement:
			return item{kind: itemEnd}, nil
		default:
			return item{}, fmt.Errorf("record: restricted XML on the stream (%T)", tok)
		}
	}
}

// bufferedConn is a net.Conn whose reads come first from a reader that may
// hold bytes already taken off the connection (a peeked first byte), which
// TLS must see.
type bufferedConn struct {
	net.Conn
	r io.Reader
}

func (c bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// attr returns the value of the attribute local (no namespace) of a start
// tag, or "".
func attr(t xml.StartElement, local string) string {
	for _, a := range t.Attr {
		if a.Name.Space == "" && a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// lang returns the xml:lang of a start tag.
func lang(t xml.StartElement) string {
	for _, a := range t.Attr {
		if (a.Name.Space == "xml" || a.Name.Space == xmlnode.XMLNamespace) && a.Name.Local == "lang" {
			return a.Value
		}
	}
	return ""
}

// header serialises a stream header with the given attributes (name,
// value pairs; empty values are left out).
func header(attrs ...string) []byte {
	var b strings.Builder
	b.WriteString("<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='" + nsStream + "'")
	for i := 0; i+1 < len(attrs); i += 2 {
		if attrs[i+1] == "" {
			continue
		}
		b.WriteString(" " + attrs[i] + "='")
		xml.EscapeText(&b, []byte(attrs[i+1]))
		b.WriteString("'")
	}
	b.WriteString(">")
	return []byte(b.String())
}

// encodeTop serialises a top-level element for a client stream: stanzas
// with jabber:client as the default namespace, stream-namespace elements
// (features, error) with the stream: prefix, as clients expect.
func encodeTop(e *xmlnode.Element) []byte {
	if e.Name.Space != nsStream {
		return e.AppendTo(nil, nsClient)
	}
	buf := []byte("<stream:" + e.Name.Local)
	for _, a := range e.Attr {
		if a.Name.Space != "" {
			continue
		}
		buf = append(buf, ' ')
		buf = append(buf, a.Name.Local...)
		buf = append(buf, "='"...)
		var b strings.Builder
		xml.EscapeText(&b, []byte(a.Value))
		buf = append(buf, b.String()...)
		buf = append(buf, '\'')
	}
	buf = append(buf, '>')
	for _, c := range e.Children {
		switch c := c.(type) {
		case *xmlnode.Element:
			buf = c.AppendTo(buf, nsStream)
		case xmlnode.Text:
			var b strings.Builder
			xml.EscapeText(&b, []byte(c))
			buf = append(buf, b.String()...)
		}
	}
	return append(buf, "</stream:"+e.Name.Local+">"...)
}
