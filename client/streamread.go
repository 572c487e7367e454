package client

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/muctest/muctest/xmlnode"
)

// streamReader reads the server's half of an XML stream: its header, then
// one top-level element at a time as an *xmlnode.Element.
//
// It parses what servers write (ASCII names, the five predefined entities,
// UTF-8 text, elements that arrive in a few reads) itself, in one pass over
// its buffer: encoding/xml's token stream allocates for every name and
// attribute and was, with the trees built from it, a fifth of the CPU time
// of a short script run against the in-process server. Everything else (a
// comment, a CDATA section, a character reference, a non-ASCII name, a
// carriage return, a limit reached, an element split over many reads, and
// any malformed input) goes to encoding/xml and xmlnode.ReadNext, as before
// this reader existed, on a decoder that is first shown the stream header
// again so that it sees the same namespaces. The outcome, tree or error, is
// the same either way; FuzzStreamReader compares the two.
type streamReader struct {
	r        io.Reader
	buf      []byte          // buf[pos:end] is read and not yet parsed
	pooled   *[readSize]byte // buf's array while it is the pool's
	pos, end int
	rerr     error // the last read's error, returned once buf is drained

	lim xmlnode.Limits
	// header is the stream's start tag as the server sent it and
	// streamName its qualified name, for the closing tag and for the
	// fallback decoder.
	header     []byte
	streamName []byte
	// scope holds the namespace declarations in force: the stream
	// header's (the first base entries), then those of the open elements.
	scope []nsDecl
	base  int
	// dec, when set, reads the rest of this stream: the header itself
	// needed encoding/xml, or the limits ask for its namespace checks.
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

	attrs    []rawAttr // scratch for the start tag being parsed
	text     []byte    // scratch for text with entity references
	elements int       // elements in the tree being parsed, for MaxElements
}

type nsDecl struct{ prefix, uri string }

// rawAttr is an attribute as written: name parts still prefixed.
type rawAttr struct {
	prefix, local []byte
	value         string
}

// outcome is how a fast parse attempt ended.
type outcome uint8

const (
	parsed   outcome = iota
	needMore         // well-formed so far, but the buffer ends inside it
	slowPath         // for encoding/xml to decide
)

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
	sr.dec, sr.slow, sr.pre, sr.err, sr.header, sr.streamName = nil, nil, nil, nil, nil, nil
	sr.scope, sr.base = sr.scope[:0], 0
	if sr.lim.Declared == nil {
		for tries := 0; ; tries++ {
			start, n, oc := sr.parseHeader(sr.buf[sr.pos:sr.end])
			if oc == parsed {
				sr.pos += n
				return start, nil
			}
			if oc == slowPath || tries == maxTries || sr.fill() != nil {
				break
			}
		}
	}
	sr.scope = sr.scope[:0]
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
		el, n, oc := sr.parseTop(sr.buf[sr.pos:sr.end])
		if n > 0 && oc != parsed {
			sr.pos += n // whitespace before the element
		}
		switch {
		case oc == parsed && el == nil:
			sr.pos += n
			return nil, xmlnode.ErrEnd
		case oc == parsed:
			sr.pos += n
			return el, nil
		case oc == needMore && tries < maxTries && sr.end-sr.pos < bigElement && sr.fill() == nil:
			continue
		}
		// encoding/xml takes this one element (or the error).
		if sr.slow == nil {
			sr.pre = sr.header
			sr.slow = xml.NewDecoder(sr)
			sr.slow.Strict = true
			if _, err := sr.slow.Token(); err != nil {
				return nil, err
			}
		}
		return xmlnode.ReadNext(sr.slow, sr.lim)
	}
}

// parseHeader parses an optional XML declaration and the stream start tag
// at the start of b and records the header's namespaces.
func (sr *streamReader) parseHeader(b []byte) (xml.StartElement, int, outcome) {
	var none xml.StartElement
	sr.scope = sr.scope[:0]
	i := skipSpace(b, 0)
	if len(b)-i < 2 {
		return none, 0, needMore
	}
	if b[i] == '<' && b[i+1] == '?' {
		e := bytes.Index(b[i:], []byte("?>"))
		if e < 0 {
			return none, 0, needMore
		}
		if !plainDecl(b[i : i+e+2]) {
			return none, 0, slowPath
		}
		i = skipSpace(b, i+e+2)
	}
	if i >= len(b) {
		return none, 0, needMore
	}
	if b[i] != '<' {
		return none, 0, slowPath
	}
	tag := i
	prefix, local, nameEnd, oc := scanQName(b, i+1)
	if oc != parsed {
		return none, 0, oc
	}
	j, empty, oc := sr.startTag(b, nameEnd)
	if oc != parsed {
		return none, 0, oc
	}
	if empty {
		return none, 0, slowPath
	}
	start := xml.StartElement{Attr: make([]xml.Attr, 0, len(sr.attrs))}
	for _, a := range sr.attrs {
		if len(a.prefix) == 0 && string(a.local) == "xmlns" {
			sr.scope = append(sr.scope, nsDecl{"", a.value})
		} else if string(a.prefix) == "xmlns" {
			sr.scope = append(sr.scope, nsDecl{string(a.local), a.value})
		}
	}
	space, ok := sr.elemSpace(prefix, local)
	if !ok {
		return none, 0, slowPath
	}
	start.Name = xml.Name{Space: space, Local: string(local)}
	for _, a := range sr.attrs {
		var name xml.Name
		switch {
		case string(a.prefix) == "xmlns", len(a.prefix) == 0:
			name = xml.Name{Space: string(a.prefix), Local: string(a.local)}
		default:
			name = xml.Name{Space: sr.attrSpace(a.prefix), Local: string(a.local)}
		}
		start.Attr = append(start.Attr, xml.Attr{Name: name, Value: a.value})
	}
	sr.base = len(sr.scope)
	sr.header = bytes.Clone(b[tag:j])
	sr.streamName = bytes.Clone(b[tag+1 : nameEnd])
	return start, j, parsed
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

// parseTop parses the next top-level element in b, after any whitespace;
// a nil element with parsed is the stream's closing tag. n is how far it
// got: past the element, or past the whitespace before it otherwise.
func (sr *streamReader) parseTop(b []byte) (el *xmlnode.Element, n int, oc outcome) {
	i := skipSpace(b, 0)
	if len(b)-i < 2 {
		return nil, i, needMore
	}
	if b[i] != '<' {
		return nil, i, slowPath // text between elements
	}
	switch b[i+1] {
	case '/':
		k := i + 2 + len(sr.streamName)
		if len(b) <= k {
			return nil, i, needMore
		}
		if !bytes.Equal(b[i+2:k], sr.streamName) || b[k] != '>' {
			return nil, i, slowPath
		}
		return nil, k + 1, parsed
	case '!', '?':
		return nil, i, slowPath
	}
	sr.scope = sr.scope[:sr.base]
	sr.elements = 0
	el, j, oc := sr.element(b, i, 1)
	if oc != parsed {
		return nil, i, oc
	}
	return el, j, parsed
}

// element parses the element whose '<' is b[i], at depth (a stanza is 1).
func (sr *streamReader) element(b []byte, i, depth int) (*xmlnode.Element, int, outcome) {
	if sr.lim.MaxDepth > 0 && depth > sr.lim.MaxDepth {
		return nil, 0, slowPath
	}
	if sr.elements++; sr.lim.MaxElements > 0 && sr.elements > sr.lim.MaxElements {
		return nil, 0, slowPath
	}
	nameStart := i + 1
	prefix, local, j, oc := scanQName(b, nameStart)
	if oc != parsed {
		return nil, 0, oc
	}
	raw := b[nameStart:j]
	j, empty, oc := sr.startTag(b, j)
	if oc != parsed {
		return nil, 0, oc
	}
	// The element's declarations apply to its own name and attributes
	// too, wherever they stand in the tag.
	mark := len(sr.scope)
	nattr := 0
	for _, a := range sr.attrs {
		switch {
		case len(a.prefix) == 0 && string(a.local) == "xmlns":
			sr.scope = append(sr.scope, nsDecl{"", a.value})
		case string(a.prefix) == "xmlns":
			sr.scope = append(sr.scope, nsDecl{internName(a.local), a.value})
		default:
			nattr++
		}
	}
	if sr.lim.MaxAttrs > 0 && nattr > sr.lim.MaxAttrs {
		return nil, 0, slowPath
	}
	space, ok := sr.elemSpace(prefix, local)
	if !ok {
		return nil, 0, slowPath
	}
	el := &xmlnode.Element{Name: xml.Name{Space: space, Local: internName(local)}}
	if nattr > 0 {
		el.Attr = make([]xml.Attr, 0, nattr)
		for _, a := range sr.attrs {
			if (len(a.prefix) == 0 && string(a.local) == "xmlns") || string(a.prefix) == "xmlns" {
				continue
			}
			var as string
			if len(a.prefix) > 0 {
				as = sr.attrSpace(a.prefix)
			}
			el.Attr = append(el.Attr, xml.Attr{Name: xml.Name{Space: as, Local: internName(a.local)}, Value: a.value})
		}
		if xmlnode.DuplicateAttr(el.Attr) {
			return nil, 0, slowPath // which refuses it as Read does
		}
	}
	if empty {
		sr.scope = sr.scope[:mark]
		return el, j, parsed
	}
	for {
		k, txt, oc := sr.textRun(b, j)
		if oc != parsed {
			return nil, 0, oc
		}
		if txt != "" {
			el.Children = append(el.Children, xmlnode.Text(txt))
		}
		if len(b)-k < 2 {
			return nil, 0, needMore
		}
		switch b[k+1] {
		case '/':
			e := k + 2 + len(raw)
			if len(b) <= e {
				return nil, 0, needMore
			}
			if !bytes.Equal(b[k+2:e], raw) || b[e] != '>' {
				return nil, 0, slowPath
			}
			sr.scope = sr.scope[:mark]
			return el, e + 1, parsed
		case '!', '?':
			return nil, 0, slowPath
		}
		child, next, oc := sr.element(b, k, depth+1)
		if oc != parsed {
			return nil, 0, oc
		}
		el.Children = append(el.Children, child)
		j = next
	}
}

// startTag parses the attributes of a start tag from b[i] (just past its
// name) to its '>' into sr.attrs, and returns the index after the tag and
// whether it was an empty-element tag.
func (sr *streamReader) startTag(b []byte, i int) (int, bool, outcome) {
	sr.attrs = sr.attrs[:0]
	for {
		i = skipSpace(b, i)
		if i >= len(b) {
			return 0, false, needMore
		}
		switch b[i] {
		case '>':
			return i + 1, false, parsed
		case '/':
			if i+1 >= len(b) {
				return 0, false, needMore
			}
			if b[i+1] != '>' {
				return 0, false, slowPath
			}
			return i + 2, true, parsed
		}
		prefix, local, j, oc := scanQName(b, i)
		if oc != parsed {
			return 0, false, oc
		}
		j = skipSpace(b, j)
		if j >= len(b) {
			return 0, false, needMore
		}
		if b[j] != '=' {
			return 0, false, slowPath
		}
		j = skipSpace(b, j+1)
		if j >= len(b) {
			return 0, false, needMore
		}
		q := b[j]
		if q != '\'' && q != '"' {
			return 0, false, slowPath
		}
		v, next, oc := sr.quoted(b, j+1, q)
		if oc != parsed {
			return 0, false, oc
		}
		sr.attrs = append(sr.attrs, rawAttr{prefix: prefix, local: local, value: v})
		i = next
	}
}

// quoted parses an attribute value from b[i] up to its closing quote q
// and returns it unescaped with the index after the quote.
func (sr *streamReader) quoted(b []byte, i int, q byte) (string, int, outcome) {
	start, wide, ents := i, false, false
	for ; i < len(b); i++ {
		switch c := b[i]; {
		case c == q:
			s, ok := sr.finishText(b[start:i], wide, ents)
			if !ok {
				return "", 0, slowPath
			}
			return s, i + 1, parsed
		case c == '<':
			return "", 0, slowPath
		case c == '&':
			ents = true
		case c >= utf8.RuneSelf:
			wide = true
		case c < ' ' && c != '\t' && c != '\n':
			return "", 0, slowPath // \r, which encoding/xml rewrites, or not XML
		}
	}
	return "", 0, needMore
}

// textRun parses character data from b[i] up to the next '<' and returns
// its index and the text, unescaped.
func (sr *streamReader) textRun(b []byte, i int) (int, string, outcome) {
	start, wide, ents := i, false, false
	for ; i < len(b); i++ {
		switch c := b[i]; {
		case c == '<':
			if i == start {
				return i, "", parsed
			}
			s, ok := sr.finishText(b[start:i], wide, ents)
			if !ok {
				return 0, "", slowPath
			}
			return i, s, parsed
		case c == '&':
			ents = true
		case c == '>':
			if i-start >= 2 && b[i-1] == ']' && b[i-2] == ']' {
				return 0, "", slowPath // "]]>" outside CDATA
			}
		case c >= utf8.RuneSelf:
			wide = true
		case c < ' ' && c != '\t' && c != '\n':
			return 0, "", slowPath
		}
	}
	return 0, "", needMore
}

// finishText checks and unescapes a run of text or an attribute value
// that has non-ASCII bytes (wide) or entity references (ents); false
// leaves it to encoding/xml.
func (sr *streamReader) finishText(run []byte, wide, ents bool) (string, bool) {
	if wide && !xmlChars(run) {
		return "", false
	}
	if !ents {
		return string(run), true
	}
	out := sr.text[:0]
	for len(run) > 0 {
		amp := bytes.IndexByte(run, '&')
		if amp < 0 {
			out = append(out, run...)
			break
		}
		out = append(out, run[:amp]...)
		run = run[amp:]
		semi := bytes.IndexByte(run, ';')
		if semi < 0 {
			return "", false
		}
		switch string(run[1:semi]) {
		case "lt":
			out = append(out, '<')
		case "gt":
			out = append(out, '>')
		case "amp":
			out = append(out, '&')
		case "apos":
			out = append(out, '\'')
		case "quot":
			out = append(out, '"')
		default:
			return "", false // a character reference, or not XML
		}
		run = run[semi+1:]
	}
	sr.text = out
	return string(out), true
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
func (sr *streamReader) elemSpace(prefix, local []byte) (string, bool) {
	switch {
	case string(prefix) == "xmlns", len(prefix) == 0 && string(local) == "xmlns":
		return "", false
	case string(prefix) == "xml":
		return xmlnode.XMLNamespace, true
	}
	if uri, ok := sr.lookup(prefix); ok {
		return uri, true
	}
	if len(prefix) == 0 {
		return "", true
	}
	return string(prefix), true // undeclared: encoding/xml keeps the prefix
}

// attrSpace resolves a prefixed attribute's namespace as encoding/xml
// does (an undeclared prefix stays as it is).
func (sr *streamReader) attrSpace(prefix []byte) string {
	if string(prefix) == "xml" {
		return xmlnode.XMLNamespace
	}
	if uri, ok := sr.lookup(prefix); ok {
		return uri
	}
	return string(prefix)
}

func (sr *streamReader) lookup(prefix []byte) (string, bool) {
	for i := len(sr.scope) - 1; i >= 0; i-- {
		if sr.scope[i].prefix == string(prefix) {
			return sr.scope[i].uri, true
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
// slowPath.
func scanQName(b []byte, i int) (prefix, local []byte, next int, oc outcome) {
	start, colon := i, -1
	if i >= len(b) {
		return nil, nil, 0, needMore
	}
	if !nameStart(b[i]) {
		return nil, nil, 0, slowPath
	}
	for i++; i < len(b); i++ {
		c := b[i]
		switch {
		case nameStart(c) || '0' <= c && c <= '9' || c == '-' || c == '.':
		case c == ':':
			if colon >= 0 {
				return nil, nil, 0, slowPath
			}
			if i+1 >= len(b) {
				return nil, nil, 0, needMore
			}
			if !nameStart(b[i+1]) {
				return nil, nil, 0, slowPath
			}
			colon = i
		case c >= utf8.RuneSelf:
			return nil, nil, 0, slowPath
		default:
			if colon < 0 {
				return nil, b[start:i], i, parsed
			}
			return b[start:colon], b[colon+1 : i], i, parsed
		}
	}
	return nil, nil, 0, needMore
}

func nameStart(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_'
}

// commonNames are the element and attribute names of everyday stanzas,
// shared instead of allocated per stanza.
var commonNames = func() map[string]string {
	m := map[string]string{}
	for _, n := range strings.Fields(`message presence iq body subject thread error text x item query
		status show priority delay stamp from to id type jid nick role affiliation code reason actor
		c hash node ver ext feature identity category name var value field option required features
		mechanisms mechanism bind session success failure challenge stream handshake register
		sm enabled resume resumed a r h max location previd event items retract publish pubsub
		subscription subscribe subscriptions affiliations configure options photo invite decline password
		destroy history since seconds maxstanzas maxchars result set first last count before after
		forwarded received sent private no-copy store request active inactive gone composing paused
		by xmlns lang stream streamid ping time tzo utc version os info mechanisms vCard FN NICKNAME`) {
		m[n] = n
	}
	return m
}()

// internName returns b as a string, shared when it is a common name.
func internName(b []byte) string {
	if s, ok := commonNames[string(b)]; ok {
		return s
	}
	return string(b)
}
