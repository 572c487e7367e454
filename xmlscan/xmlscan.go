// Package xmlscan parses the everyday top-level elements of an XMPP stream
// (RFC 6120 section 4; its XML subset, section 11) in one pass over a
// buffer into xmlnode trees, for the readers on both ends of a stream: the
// c2s session reading a client and the client reading a server.
//
// encoding/xml's token stream allocates for every name and attribute and,
// with the trees xmlnode.Read builds from it, was a fifth of the CPU time of
// a short script run against the in-process server on the client side and
// the largest part of the server's. Parser takes what peers send in the
// common case (ASCII names, the five predefined entities, UTF-8 text, an
// element whole in the buffer) and says Fallback for everything else: a
// comment, a CDATA section, a character reference, a non-ASCII name, a
// carriage return, a limit of xmlnode.Limits reached, a duplicate attribute
// and any malformed input. The caller then reads that element with
// encoding/xml and xmlnode.Read, which decide the tree or the error exactly
// as they did before this package existed; the trees Parser builds are the
// ones Read would (same names, namespaces, attributes, text, compact child
// lists), which FuzzParser and the readers' own fuzz targets check.
//
// NeedMore is given only while encoding/xml, shown the same bytes, would
// also still be waiting for input rather than failing: a reader that waits
// on NeedMore keeps the timing of its errors (a peer that sends a bad
// entity and then nothing still gets its stream error at once).
package xmlscan

import (
	"bytes"
	"encoding/xml"
	"slices"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/muctest/muctest/internal/intern"
	"github.com/muctest/muctest/xmlnode"
)

// Outcome says how a parse attempt ended.
type Outcome uint8

const (
	// Parsed: the element was parsed whole.
	Parsed Outcome = iota
	// End: the stream's closing tag was parsed.
	End
	// NeedMore: the input is fine so far but ends inside the element;
	// encoding/xml would be waiting for more too.
	NeedMore
	// Fallback: for encoding/xml and xmlnode.Read to decide.
	Fallback
)

// NSStream is the namespace of the stream element. An element of that
// name where a stanza belongs (a stream restart) is always Fallback: the
// readers refuse or read it in their own way.
const NSStream = "http://etherx.jabber.org/streams"

// Stream is what a stream header tells the parser about the elements inside
// it: the namespace declarations in scope, and the stream element's name
// as written, for its closing tag.
type Stream struct {
	decls []nsDecl
	name  []byte // "stream:stream"; nil leaves the closing tag to encoding/xml
	tag   []byte // the start tag as written, when Parser.Header parsed it
}

// NewStream returns the Stream of a header that encoding/xml read: start
// as its decoder returned it, qname the stream element's qualified name as
// the peer wrote it ("" when it is not known, which leaves the closing tag
// to encoding/xml).
//
// It returns nil for a header that binds a prefix to "xmlns" or to no
// namespace: encoding/xml's start element no longer tells its
// declarations from attributes of such a prefix, so its elements are left
// to encoding/xml.
func NewStream(start xml.StartElement, qname string) *Stream {
	st := &Stream{}
	for _, a := range start.Attr {
		if (a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns") &&
			(a.Value == "xmlns" || a.Value == "" && a.Name.Space == "xmlns") {
			return nil
		}
		switch {
		case a.Name.Space == "xmlns":
			st.decls = append(st.decls, nsDecl{a.Name.Local, a.Value})
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			st.decls = append(st.decls, nsDecl{"", a.Value})
		}
	}
	if qname != "" {
		st.name = []byte(qname)
	}
	return st
}

// StartTag returns the header's start tag as the peer wrote it, when
// Parser.Header parsed it: what a decoder made later is shown first so
// that it sees the same namespaces.
func (st *Stream) StartTag() []byte { return st.tag }

type nsDecl struct{ prefix, uri string }

// rawAttr is an attribute as written: name parts still prefixed, value
// unescaped (in the input or in Parser.vals).
type rawAttr struct {
	prefix, local, value []byte
}

// Parser parses elements; its scratch is reused from one to the next. The
// zero value is ready; a Parser is not safe for concurrent use.
type Parser struct {
	lim xmlnode.Limits
	// scope holds the namespace declarations in force: the stream
	// header's (the first base entries), then those of the open elements.
	scope []nsDecl
	base  int

	attrs    []rawAttr      // scratch for the start tag being parsed
	vals     []byte         // unescaped attribute values of that tag
	joined   []byte         // scratch for an element's values end to end
	text     []byte         // scratch for text with entity references
	kids     []xmlnode.Node // children of the open elements, innermost's last
	elements int            // elements in the tree being parsed (MaxElements)
	size     int            // tree bytes so far (MaxTreeBytes)
}

// Tree sizes as xmlnode.Read counts them against Limits.MaxTreeBytes.
const (
	elementBytes = int(unsafe.Sizeof(xmlnode.Element{}))
	slotBytes    = int(unsafe.Sizeof(xmlnode.Node(nil)))
	attrBytes    = int(unsafe.Sizeof(xml.Attr{}))
	textBytes    = int(unsafe.Sizeof(""))
)

// maxDepth bounds the nesting the parser recurses into whatever the
// limits; deeper elements are Fallback.
const maxDepth = 256

// initialAttrs is the room a parser's attribute scratch starts with.
const initialAttrs = 8

// maxScratch bounds the scratch a Parser keeps from one element to the
// next: a huge element's is left to the collector.
const maxScratch = 4 << 10

// Next parses the next top-level element at the start of b, after any
// whitespace, in a stream that st describes, under lim (which Fallback
// leaves to encoding/xml to enforce). n is how far it got: past the
// element or closing tag for Parsed and End, past the whitespace before
// it otherwise.
func (p *Parser) Next(st *Stream, lim xmlnode.Limits, b []byte) (el *xmlnode.Element, n int, oc Outcome) {
	i := skipSpace(b, 0)
	if len(b)-i < 2 {
		return nil, i, NeedMore
	}
	if b[i] != '<' {
		return nil, i, Fallback // text between elements
	}
	switch b[i+1] {
	case '/':
		if st.name == nil {
			return nil, i, Fallback
		}
		k := i + 2 + len(st.name)
		if len(b) <= k {
			if bytes.HasPrefix(st.name, b[i+2:]) {
				return nil, i, NeedMore
			}
			return nil, i, Fallback
		}
		if !bytes.Equal(b[i+2:k], st.name) || b[k] != '>' {
			return nil, i, Fallback
		}
		return nil, k + 1, End
	case '!', '?':
		return nil, i, Fallback
	}
	p.lim = lim
	p.scope = append(p.scope[:0], st.decls...)
	p.base = len(p.scope)
	p.elements, p.size = 0, 0
	el, j, oc := p.element(b, i, 1)
	p.tidy(oc)
	if oc != Parsed {
		return nil, i, oc
	}
	return el, j, Parsed
}

// tidy drops what the scratch refers to after a parse, so that a pooled
// Parser keeps no tree alive, and scratch grown large.
func (p *Parser) tidy(oc Outcome) {
	if oc != Parsed {
		clear(p.kids)
	}
	p.kids = p.kids[:0]
	if cap(p.kids) > maxScratch/16 {
		p.kids = nil
	}
	if cap(p.text) > maxScratch {
		p.text = nil
	}
	if cap(p.vals) > maxScratch {
		p.vals = nil
	}
	if cap(p.joined) > maxScratch {
		p.joined = nil
	}
	clear(p.attrs)
	p.attrs = p.attrs[:0]
	if cap(p.attrs) > maxScratch/64 {
		p.attrs = nil
	}
	p.lim.Declared = nil
}

// Header parses an optional XML declaration and the stream start tag at
// the start of b: the header as encoding/xml would return it, and its
// Stream. n is past the start tag.
func (p *Parser) Header(b []byte) (st *Stream, start xml.StartElement, n int, oc Outcome) {
	var none xml.StartElement
	defer p.tidy(Parsed)
	i := skipSpace(b, 0)
	if len(b)-i < 2 {
		return nil, none, 0, NeedMore
	}
	if b[i] == '<' && b[i+1] == '?' {
		e := bytes.Index(b[i:], []byte("?>"))
		if e < 0 {
			return nil, none, 0, NeedMore
		}
		if !plainDecl(b[i : i+e+2]) {
			return nil, none, 0, Fallback
		}
		i = skipSpace(b, i+e+2)
	}
	if i >= len(b) {
		return nil, none, 0, NeedMore
	}
	if b[i] != '<' {
		return nil, none, 0, Fallback
	}
	tag := i
	prefix, local, nameEnd, oc := scanQName(b, i+1)
	if oc != Parsed {
		return nil, none, 0, oc
	}
	j, empty, oc := p.startTag(b, nameEnd)
	if oc != Parsed {
		return nil, none, 0, oc
	}
	if empty {
		return nil, none, 0, Fallback
	}
	// Names and namespaces come from the shared tables where they are
	// everyday ones, and a declaration's URI is one string for the scope
	// and the attribute: a header costs a handful of allocations.
	p.scope = p.scope[:0]
	start = xml.StartElement{Attr: make([]xml.Attr, 0, len(p.attrs))}
	for _, a := range p.attrs {
		if len(a.prefix) == 0 && string(a.local) == "xmlns" {
			p.scope = append(p.scope, nsDecl{"", internNS(a.value)})
		} else if string(a.prefix) == "xmlns" {
			p.scope = append(p.scope, nsDecl{internName(a.local), internNS(a.value)})
		}
	}
	space, ok := p.elemSpace(prefix, local)
	if !ok {
		return nil, none, 0, Fallback
	}
	start.Name = xml.Name{Space: space, Local: internName(local)}
	d := 0 // the next of p.scope, in the order of the attributes
	for _, a := range p.attrs {
		var attr xml.Attr
		switch {
		case isDecl(a):
			// p.scope has its URI, and its name unless default.
			attr = xml.Attr{Name: xml.Name{Local: "xmlns"}, Value: p.scope[d].uri}
			if len(a.prefix) > 0 {
				attr.Name = xml.Name{Space: "xmlns", Local: p.scope[d].prefix}
			}
			d++
		case len(a.prefix) == 0:
			attr = xml.Attr{Name: xml.Name{Local: internName(a.local)}, Value: headerValue(a.value)}
		default:
			attr = xml.Attr{Name: xml.Name{Space: p.attrSpace(a.prefix), Local: internName(a.local)}, Value: headerValue(a.value)}
		}
		start.Attr = append(start.Attr, attr)
	}
	tagCopy := bytes.Clone(b[tag:j])
	st = &Stream{
		decls: slices.Clone(p.scope),
		name:  tagCopy[1 : nameEnd-tag : nameEnd-tag],
		tag:   tagCopy,
	}
	return st, start, j, Parsed
}

// headerValue returns an attribute value of a stream header as a string,
// shared for the usual version, language and the in-process domain.
func headerValue(v []byte) string {
	switch string(v) {
	case "1.0":
		return "1.0"
	case "en":
		return "en"
	case "localhost":
		return "localhost"
	}
	return string(v)
}

// plainDecl reports whether decl is an XML declaration encoding/xml
// accepts without a second look: version 1.0, UTF-8 or no encoding.
func plainDecl(decl []byte) bool {
	switch strings.ReplaceAll(string(decl), `"`, `'`) {
	case `<?xml version='1.0'?>`, `<?xml version='1.0' encoding='UTF-8'?>`, `<?xml version='1.0' encoding='utf-8'?>`:
		return true
	}
	return false
}

// grow counts n more tree bytes, false once past Limits.MaxTreeBytes.
func (p *Parser) grow(n int) bool {
	p.size += n
	return p.lim.MaxTreeBytes <= 0 || p.size <= p.lim.MaxTreeBytes
}

// element parses the element whose '<' is b[i], at depth (a stanza is 1).
func (p *Parser) element(b []byte, i, depth int) (*xmlnode.Element, int, Outcome) {
	if depth > maxDepth || p.lim.MaxDepth > 0 && depth > p.lim.MaxDepth {
		return nil, 0, Fallback
	}
	if p.elements++; p.lim.MaxElements > 0 && p.elements > p.lim.MaxElements {
		return nil, 0, Fallback
	}
	nameStart := i + 1
	prefix, local, j, oc := scanQName(b, nameStart)
	if oc != Parsed {
		return nil, 0, oc
	}
	raw := b[nameStart:j]
	j, empty, oc := p.startTag(b, j)
	if oc != Parsed {
		return nil, 0, oc
	}
	// The element's declarations apply to its own name and attributes
	// too, wherever they stand in the tag.
	mark := len(p.scope)
	nattr := 0
	size := elementBytes + slotBytes + len(local)
	for _, a := range p.attrs {
		switch {
		case len(a.prefix) == 0 && string(a.local) == "xmlns":
			p.scope = append(p.scope, nsDecl{"", internNS(a.value)})
		case string(a.prefix) == "xmlns":
			p.scope = append(p.scope, nsDecl{internName(a.local), internNS(a.value)})
		default:
			nattr++
			size += attrBytes + len(a.local) + len(a.value)
		}
	}
	if p.lim.MaxAttrs > 0 && nattr > p.lim.MaxAttrs || !p.grow(size) {
		return nil, 0, Fallback
	}
	space, ok := p.elemSpace(prefix, local)
	if !ok || !p.declared(space) {
		return nil, 0, Fallback
	}
	if depth == 1 && space == NSStream && string(local) == "stream" {
		return nil, 0, Fallback
	}
	spare := 0
	if depth == 1 && nattr > 0 {
		// Room for the from the server stamps on a client's stanza (and
		// a client on nothing: one slot in a stanza's allocation). Not
		// for a stanza without attributes, whose Attr stays nil as
		// Read's.
		spare = 1
	}
	// The attributes share the element's allocation (xmlnode.WithRoom):
	// a stanza's elements cost one allocation each rather than two.
	el := xmlnode.WithRoom(nattr + spare)
	el.Name = xml.Name{Space: space, Local: internName(local)}
	if nattr > 0 {
		// The values share one string: one allocation per element
		// rather than one per attribute.
		var all string
		if nattr > 1 {
			p.joined = p.joined[:0]
			for _, a := range p.attrs {
				if !isDecl(a) {
					p.joined = append(p.joined, a.value...)
				}
			}
			all = string(p.joined)
		}
		off := 0
		for _, a := range p.attrs {
			if isDecl(a) {
				continue
			}
			var as string
			if len(a.prefix) > 0 {
				as = p.attrSpace(a.prefix)
				// Read takes a name that resolves to a declaration's
				// for one; and Limits.Declared checks the others.
				if as == "xmlns" || as == "" && string(a.local) == "xmlns" ||
					as != xmlnode.XMLNamespace && !p.declared(as) {
					return nil, 0, Fallback
				}
			}
			var v string
			if nattr > 1 {
				v = all[off : off+len(a.value)]
				off += len(a.value)
			} else {
				v = string(a.value)
			}
			el.Attr = append(el.Attr, xml.Attr{Name: xml.Name{Space: as, Local: internName(a.local)}, Value: v})
		}
		if xmlnode.DuplicateAttr(el.Attr) {
			return nil, 0, Fallback // which Read refuses
		}
	}
	if empty {
		p.scope = p.scope[:mark]
		return el, j, Parsed
	}
	from := len(p.kids)
	for {
		k, txt, oc := p.textRun(b, j)
		if oc != Parsed {
			return nil, 0, oc
		}
		if txt != "" {
			if !p.grow(slotBytes + textBytes + len(txt)) {
				return nil, 0, Fallback
			}
			p.kids = append(p.kids, xmlnode.Text(txt))
		}
		if len(b)-k < 2 {
			return nil, 0, NeedMore
		}
		switch b[k+1] {
		case '/':
			e := k + 2 + len(raw)
			if len(b) <= e {
				if bytes.HasPrefix(raw, b[k+2:]) {
					return nil, 0, NeedMore
				}
				return nil, 0, Fallback
			}
			if !bytes.Equal(b[k+2:e], raw) || b[e] != '>' {
				return nil, 0, Fallback
			}
			if from < len(p.kids) {
				el.Children = slices.Clone(p.kids[from:])
				clear(p.kids[from:])
				p.kids = p.kids[:from]
			}
			p.scope = p.scope[:mark]
			return el, e + 1, Parsed
		case '!', '?':
			return nil, 0, Fallback
		}
		child, next, oc := p.element(b, k, depth+1)
		if oc != Parsed {
			return nil, 0, oc
		}
		p.kids = append(p.kids, child)
		j = next
	}
}

// isDecl reports whether a is a namespace declaration (xmlns or
// xmlns:prefix) rather than an attribute.
func isDecl(a rawAttr) bool {
	return len(a.prefix) == 0 && string(a.local) == "xmlns" || string(a.prefix) == "xmlns"
}

// declared reports whether space may be used under Limits.Declared: as
// Read checks it, against the listed namespaces and those declared on the
// open elements.
func (p *Parser) declared(space string) bool {
	if p.lim.Declared == nil || space == "" || slices.Contains(p.lim.Declared, space) {
		return true
	}
	for _, d := range p.scope[p.base:] {
		if d.uri == space {
			return true
		}
	}
	return false
}

// startTag parses the attributes of a start tag from b[i] (just past its
// name) to its '>' into p.attrs, and returns the index after the tag and
// whether it was an empty-element tag.
func (p *Parser) startTag(b []byte, i int) (int, bool, Outcome) {
	if p.attrs == nil {
		// A new parser's first tag (a stream header's has six
		// attributes): room for a stream header's at once rather than
		// growing one to two, four and eight.
		p.attrs = make([]rawAttr, 0, initialAttrs)
	}
	p.attrs = p.attrs[:0]
	p.vals = p.vals[:0]
	for {
		i = skipSpace(b, i)
		if i >= len(b) {
			return 0, false, NeedMore
		}
		switch b[i] {
		case '>':
			return i + 1, false, Parsed
		case '/':
			if i+1 >= len(b) {
				return 0, false, NeedMore
			}
			if b[i+1] != '>' {
				return 0, false, Fallback
			}
			return i + 2, true, Parsed
		}
		prefix, local, j, oc := scanQName(b, i)
		if oc != Parsed {
			return 0, false, oc
		}
		j = skipSpace(b, j)
		if j >= len(b) {
			return 0, false, NeedMore
		}
		if b[j] != '=' {
			return 0, false, Fallback
		}
		j = skipSpace(b, j+1)
		if j >= len(b) {
			return 0, false, NeedMore
		}
		q := b[j]
		if q != '\'' && q != '"' {
			return 0, false, Fallback
		}
		v, next, oc := p.quoted(b, j+1, q)
		if oc != Parsed {
			return 0, false, oc
		}
		p.attrs = append(p.attrs, rawAttr{prefix: prefix, local: local, value: v})
		i = next
	}
}

// quoted parses an attribute value from b[i] up to its closing quote q
// and returns it unescaped with the index after the quote.
func (p *Parser) quoted(b []byte, i int, q byte) ([]byte, int, Outcome) {
	// b[from:i] is the value as written, b[start:i] the part since the
	// last entity reference; out is where in p.vals the unescaped value
	// starts, once it has one.
	from, start, wide, out := i, i, false, -1
	for i < len(b) {
		switch c := b[i]; {
		case c == q:
			if wide && !xmlChars(b[from:i]) {
				return nil, 0, Fallback
			}
			if out < 0 {
				return b[start:i], i + 1, Parsed
			}
			p.vals = append(p.vals, b[start:i]...)
			return p.vals[out:], i + 1, Parsed
		case c == '<':
			return nil, 0, Fallback
		case c == '&':
			r, next, oc := entity(b, i)
			if oc != Parsed {
				return nil, 0, oc
			}
			if out < 0 {
				out = len(p.vals)
			}
			p.vals = append(append(p.vals, b[start:i]...), r)
			i, start = next, next
			continue
		case c >= utf8.RuneSelf:
			wide = true
		case c < ' ' && c != '\t' && c != '\n':
			return nil, 0, Fallback // \r, which encoding/xml rewrites, or not XML
		}
		i++
	}
	return nil, 0, NeedMore
}

// textRun parses character data from b[i] up to the next '<' and returns
// its index and the text, unescaped.
func (p *Parser) textRun(b []byte, i int) (int, string, Outcome) {
	// b[from:i] is the text as written, b[start:i] the part since the
	// last entity reference.
	from, start, wide, ents := i, i, false, false
	p.text = p.text[:0]
	for i < len(b) {
		switch c := b[i]; {
		case c == '<':
			if wide && !xmlChars(b[from:i]) {
				return 0, "", Fallback
			}
			if !ents {
				return i, string(b[start:i]), Parsed
			}
			p.text = append(p.text, b[start:i]...)
			return i, string(p.text), Parsed
		case c == '&':
			r, next, oc := entity(b, i)
			if oc != Parsed {
				return 0, "", oc
			}
			ents = true
			p.text = append(append(p.text, b[start:i]...), r)
			i, start = next, next
			continue
		case c == '>':
			if i-from >= 2 && b[i-1] == ']' && b[i-2] == ']' {
				return 0, "", Fallback // "]]>" outside CDATA
			}
		case c >= utf8.RuneSelf:
			wide = true
		case c < ' ' && c != '\t' && c != '\n':
			return 0, "", Fallback
		}
		i++
	}
	return 0, "", NeedMore
}

// entities are the predefined entity references the parser takes itself.
var entities = [...]struct {
	ref string
	r   byte
}{{"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&apos;", '\''}, {"&quot;", '"'}}

// entity parses the entity reference at b[i] ('&'): its character and the
// index after it. A reference cut off by the end of b is NeedMore only if
// it may still become a predefined one; any other reference is Fallback
// (encoding/xml refuses it, or it is a character reference), and so at the
// byte where encoding/xml decides.
func entity(b []byte, i int) (byte, int, Outcome) {
	rest := b[i:]
	for _, e := range entities {
		if len(rest) >= len(e.ref) {
			if string(rest[:len(e.ref)]) == e.ref {
				return e.r, i + len(e.ref), Parsed
			}
		} else if e.ref[:len(rest)] == string(rest) {
			return 0, 0, NeedMore
		}
	}
	return 0, 0, Fallback
}

// xmlChars reports whether run is valid UTF-8 made of characters XML
// allows (its ASCII bytes were checked already).
func xmlChars(run []byte) bool {
	for i := 0; i < len(run); {
		if run[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(run[i:])
		if r == utf8.RuneError && size == 1 {
			return false
		}
		if !(r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= utf8.MaxRune) {
			return false
		}
		i += size
	}
	return true
}

// elemSpace resolves an element's prefix as encoding/xml does; false
// leaves the odd cases (an element named xmlns) to it.
func (p *Parser) elemSpace(prefix, local []byte) (string, bool) {
	switch {
	case string(prefix) == "xmlns", len(prefix) == 0 && string(local) == "xmlns":
		return "", false
	case string(prefix) == "xml":
		return xmlnode.XMLNamespace, true
	}
	if uri, ok := p.lookup(prefix); ok {
		return uri, true
	}
	if len(prefix) == 0 {
		return "", true
	}
	return string(prefix), true // undeclared: encoding/xml keeps the prefix
}

// attrSpace resolves a prefixed attribute's namespace as encoding/xml
// does (an undeclared prefix stays as it is).
func (p *Parser) attrSpace(prefix []byte) string {
	if string(prefix) == "xml" {
		return xmlnode.XMLNamespace
	}
	if uri, ok := p.lookup(prefix); ok {
		return uri
	}
	return string(prefix)
}

func (p *Parser) lookup(prefix []byte) (string, bool) {
	for i := len(p.scope) - 1; i >= 0; i-- {
		if p.scope[i].prefix == string(prefix) {
			return p.scope[i].uri, true
		}
	}
	return "", false
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}

// scanQName scans an ASCII name at b[i], with at most one prefix; any
// other name (non-ASCII, two colons, a local part that is no NCName) is
// Fallback.
func scanQName(b []byte, i int) (prefix, local []byte, next int, oc Outcome) {
	start, colon := i, -1
	if i >= len(b) {
		return nil, nil, 0, NeedMore
	}
	if !nameStart(b[i]) {
		return nil, nil, 0, Fallback
	}
	for i++; i < len(b); i++ {
		c := b[i]
		switch {
		case nameStart(c) || '0' <= c && c <= '9' || c == '-' || c == '.':
		case c == ':':
			if colon >= 0 {
				return nil, nil, 0, Fallback
			}
			if i+1 >= len(b) {
				return nil, nil, 0, NeedMore
			}
			if !nameStart(b[i+1]) {
				return nil, nil, 0, Fallback
			}
			colon = i
		case c >= utf8.RuneSelf:
			return nil, nil, 0, Fallback
		default:
			if colon < 0 {
				return nil, b[start:i], i, Parsed
			}
			return b[start:colon], b[colon+1 : i], i, Parsed
		}
	}
	return nil, nil, 0, NeedMore
}

func nameStart(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_'
}

// commonNames are the element and attribute names of everyday stanzas,
// shared instead of allocated per stanza.
var commonNames = intern.New(strings.Fields(`message presence iq body subject thread error text x item query
		status show priority delay stamp from to id type jid nick role affiliation code reason actor
		c hash node ver ext feature identity category name var value field option required features
		mechanisms mechanism bind session success failure challenge response auth stream handshake register
		sm enabled enable resume resumed a r h max location previd event items retract publish pubsub
		subscription subscribe subscriptions affiliations configure options photo invite decline password
		destroy history since seconds maxstanzas maxchars result set first last count before after
		forwarded received sent private no-copy store request active inactive gone composing paused
		by xmlns lang stream streamid ping time tzo utc version os info vCard FN NICKNAME
		resource starttls proceed occupant-id origin-id stanza-id`)...)

// internName returns b as a string, shared when it is a common name.
func internName(b []byte) string {
	if s, ok := commonNames.Lookup(b); ok {
		return s
	}
	return string(b)
}

// internNS returns a declared namespace URI as a string, shared when it
// is one XMPP uses every day (as Read shares it).
func internNS(b []byte) string {
	if s, ok := xmlnode.KnownNamespace(b); ok {
		return s
	}
	return string(b)
}
