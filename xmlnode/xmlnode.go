// Package xmlnode holds a small XML element tree: the form in which every
// stanza travels inside muctest.
//
// The c2s reader builds one Element per stanza (with limits on size, depth and
// attribute count, because the bytes come from the network), the router and
// the MUC service inspect and copy it, and the writer serialises it back with
// Encode. A tree rather than a token stream is used because stanzas are small
// and are read several times (routing, matching, MUC rules); one allocation
// per node is cheaper than re-parsing. A stanza sent to many recipients (a
// MUC broadcast) goes through Freeze once: its children are serialised
// then, and each recipient's ShallowCopy encodes only its own start and end
// tags around those bytes.
//
// A tree costs 80 bytes per element, 16 per child and 48 per attribute,
// besides its strings (Read builds it compact): about its wire size for
// text, three times for an everyday stanza, and up to 24 times for one of
// many tiny elements (<a/>). So Limits bounds what one stanza's tree may
// take, and stores that keep stanzas for long keep their wire form: as
// bytes they parse back when they send them (AppendTo, ParseIn), or, where
// they send them again with top-level changes, as a tree holding a Raw
// node (RawElement, Sealed), written verbatim and parsed only by code
// that reads the payload (Expanded).
//
// Namespaces are always resolved: Name.Space holds the namespace URI, never a
// prefix, and xmlns declarations are not kept in Attr (Encode writes them
// where the namespace changes).
//
// It holds the XML subset XMPP streams use (RFC 6120 section 11): Read
// refuses the comments, processing instructions and DTDs that XMPP forbids.
// ReadNext takes the next element off a stream, which is all a client or a
// test needs.
package xmlnode

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"
)

// XMLNamespace is the namespace URI bound to the reserved "xml" prefix, as in
// xml:lang.
const XMLNamespace = "http://www.w3.org/XML/1998/namespace"

// Node is a child of an Element: either *Element or Text.
type Node interface{ node() }

// Text is character data inside an element (already unescaped).
type Text string

func (Text) node()     {}
func (*Element) node() {}

// Element is one XML element with its attributes and children, in document
// order. The zero value is not useful; use New or Parse.
type Element struct {
	Name xml.Name
	Attr []xml.Attr
	// Children of a tree from Read or Freeze may have a capacity of
	// exactly their length (appending copies them) and, after Freeze, a
	// hidden entry past their length; see frozenOf.
	Children []Node
}

// WithRoom returns an element with no name yet and room for n
// attributes (Attr empty, of capacity n; nil for 0), in the same
// allocation as the element for the few that most elements have: an
// element with attributes then costs one allocation rather than two (and
// New's appends no growing). Parsers and builders that know the count
// use it.
func WithRoom(n int) *Element {
	switch n {
	case 0:
		return &Element{}
	case 1:
		p := &struct {
			e Element
			a [1]xml.Attr
		}{}
		p.e.Attr = p.a[:0:1]
		return &p.e
	case 2:
		p := &struct {
			e Element
			a [2]xml.Attr
		}{}
		p.e.Attr = p.a[:0:2]
		return &p.e
	case 3:
		p := &struct {
			e Element
			a [3]xml.Attr
		}{}
		p.e.Attr = p.a[:0:3]
		return &p.e
	case 4:
		p := &struct {
			e Element
			a [4]xml.Attr
		}{}
		p.e.Attr = p.a[:0:4]
		return &p.e
	}
	return &Element{Attr: make([]xml.Attr, 0, n)}
}

// New returns an element in namespace space with local name local and the
// given attributes, given as name, value pairs (attributes without a
// namespace; use SetAttrNS for others).
func New(space, local string, attrs ...string) *Element {
	e := WithRoom(len(attrs) / 2)
	e.Name = xml.Name{Space: space, Local: local}
	for i := 0; i+1 < len(attrs); i += 2 {
		e.Attr = append(e.Attr, xml.Attr{Name: xml.Name{Local: attrs[i]}, Value: attrs[i+1]})
	}
	return e
}

// Attrib returns the value of the attribute named local (no namespace), or ""
// when it is absent. Most XMPP attributes have no namespace, hence the short
// name.
func (e *Element) Attrib(local string) string {
	v, _ := e.LookupAttr("", local)
	return v
}

// LookupAttr returns the value of the attribute {space}local and whether it
// is present.
func (e *Element) LookupAttr(space, local string) (string, bool) {
	for _, a := range e.Attr {
		if a.Name.Local == local && a.Name.Space == space {
			return a.Value, true
		}
	}
	return "", false
}

// SetAttr sets (or adds) the attribute local with no namespace and returns e
// so that calls chain.
func (e *Element) SetAttr(local, value string) *Element {
	return e.SetAttrNS("", local, value)
}

// SetAttrNS sets (or adds) the attribute {space}local.
func (e *Element) SetAttrNS(space, local, value string) *Element {
	for i := range e.Attr {
		if e.Attr[i].Name.Local == local && e.Attr[i].Name.Space == space {
			e.Attr[i].Value = value
			return e
		}
	}
	e.Attr = append(e.Attr, xml.Attr{Name: xml.Name{Space: space, Local: local}, Value: value})
	return e
}

// RemoveAttr deletes the attribute local (no namespace) if present.
func (e *Element) RemoveAttr(local string) *Element {
	out := e.Attr[:0]
	for _, a := range e.Attr {
		if !(a.Name.Local == local && a.Name.Space == "") {
			out = append(out, a)
		}
	}
	e.Attr = out
	return e
}

// Elements returns the child elements of e, skipping text.
func (e *Element) Elements() []*Element {
	var out []*Element
	for _, c := range e.Children {
		if el, ok := c.(*Element); ok {
			out = append(out, el)
		}
	}
	return out
}

// Child returns the first child element named {space}local, or nil. An empty
// space matches any namespace.
func (e *Element) Child(space, local string) *Element {
	for _, c := range e.Children {
		if el, ok := c.(*Element); ok && el.Name.Local == local && (space == "" || el.Name.Space == space) {
			return el
		}
	}
	return nil
}

// ChildrenNamed returns every child element named {space}local; an empty
// space matches any namespace.
func (e *Element) ChildrenNamed(space, local string) []*Element {
	var out []*Element
	for _, c := range e.Children {
		if el, ok := c.(*Element); ok && el.Name.Local == local && (space == "" || el.Name.Space == space) {
			out = append(out, el)
		}
	}
	return out
}

// ChildText returns the text of the first child {space}local, or "".
func (e *Element) ChildText(space, local string) string {
	if c := e.Child(space, local); c != nil {
		return c.Text()
	}
	return ""
}

// Text returns the concatenated character data directly inside e.
func (e *Element) Text() string {
	var b strings.Builder
	for _, c := range e.Children {
		if t, ok := c.(Text); ok {
			b.WriteString(string(t))
		}
	}
	return b.String()
}

// SetText replaces every text child of e with s (child elements stay).
func (e *Element) SetText(s string) *Element {
	out := e.Children[:0]
	for _, c := range e.Children {
		if _, ok := c.(Text); !ok {
			out = append(out, c)
		}
	}
	e.Children = out
	if s != "" {
		e.Children = append(e.Children, Text(s))
	}
	return e
}

// Append adds children (elements or text) to e and returns e.
func (e *Element) Append(children ...Node) *Element {
	e.Children = append(e.Children, children...)
	return e
}

// AddChild creates a child element in namespace space named local, appends it
// and returns the child, which makes building nested payloads read top-down.
func (e *Element) AddChild(space, local string, attrs ...string) *Element {
	c := New(space, local, attrs...)
	e.Children = append(e.Children, c)
	return c
}

// RemoveChildren deletes every child element named {space}local (an empty
// space matches any namespace).
func (e *Element) RemoveChildren(space, local string) *Element {
	out := e.Children[:0]
	for _, c := range e.Children {
		if el, ok := c.(*Element); ok && el.Name.Local == local && (space == "" || el.Name.Space == space) {
			continue
		}
		out = append(out, c)
	}
	e.Children = out
	return e
}

// Copy returns a deep copy of e. Routing to several recipients copies a
// stanza once per recipient only where the copies differ (e.g. "to"). The
// copy does not keep a serialisation made by Freeze: a deep copy is made to
// be changed.
func (e *Element) Copy() *Element {
	if e == nil {
		return nil
	}
	c := WithRoom(len(e.Attr))
	c.Name = e.Name
	if len(e.Attr) > 0 {
		c.Attr = append(c.Attr, e.Attr...)
	}
	if len(e.Children) > 0 {
		c.Children = make([]Node, len(e.Children))
		for i, n := range e.Children {
			if el, ok := n.(*Element); ok {
				c.Children[i] = el.Copy()
			} else {
				c.Children[i] = n
			}
		}
	}
	return c
}

// Limits bound what Read accepts from an untrusted peer. Zero fields mean no
// limit.
type Limits struct {
	MaxDepth int // nesting depth, the stanza itself being depth 1
	MaxAttrs int // attributes on one element
	// MaxElements bounds the elements in one tree, the root included:
	// within the size limit, many small elements (<a/> is four bytes) cost
	// the most memory per byte received.
	MaxElements int
	// MaxTreeBytes bounds the heap the tree keeps, as Read counts it
	// while it builds the tree (elements, attributes, child-list slots
	// and their strings): how a reader bounds a stanza's tree to a
	// multiple of its size limit whatever its shape. Many short
	// attributes cost about ten bytes per wire byte, and unlike elements
	// no per-stanza count bounds them.
	MaxTreeBytes int
	// Declared, when non-nil, turns on the check that every element and
	// attribute namespace comes from a declaration in scope, and lists the
	// namespaces declared outside the element being read (on a stream, by
	// the stream header). encoding/xml leaves an undeclared prefix in
	// Name.Space as the bare prefix ("x" for <x:message/>), which would
	// otherwise pass for a namespace; RFC 6120 section 4.9.3.2 makes it a
	// bad-namespace-prefix stream error. Nil skips the check, as test
	// scripts want for their undeclared scansion: prefix.
	Declared []string
}

// ErrDepth, ErrAttrs, ErrElements and ErrTreeBytes report a violated
// Limits field; callers map them to a policy-violation stream error.
var (
	ErrDepth = errors.New("xmlnode: element nesting too deep")
	ErrAttrs = errors.New("xmlnode: too many attributes")
	// ErrElements reports a tree over Limits.MaxElements.
	ErrElements = errors.New("xmlnode: too many elements")
	// ErrTreeBytes reports a tree over Limits.MaxTreeBytes.
	ErrTreeBytes = errors.New("xmlnode: element tree too large")
	// ErrRestricted reports XML that XMPP forbids: comments, processing
	// instructions and DTDs (RFC 6120 section 11.1).
	ErrRestricted = errors.New("xmlnode: restricted XML (comment, PI or DTD)")
	// ErrUndeclaredPrefix reports an element or attribute prefix with no
	// namespace declaration in scope (checked when Limits.Declared is set).
	ErrUndeclaredPrefix = errors.New("xmlnode: undeclared namespace prefix")
	// ErrName reports an element or attribute whose local name is not a
	// name on its own (Namespaces in XML: a QName's local part is an
	// NCName), such as "0" in <p:0/> or "b:c" in <a:b:c/>. encoding/xml
	// checks the whole prefixed name only; written back with its
	// namespace as an xmlns attribute (<0 xmlns='...'/>) it would be
	// ill-formed XML on every recipient's stream.
	ErrName = errors.New("xmlnode: invalid local name")
	// ErrDuplicateAttr reports an element with two attributes of one
	// expanded name (XML 1.0's Unique Att Spec, Namespaces in XML 1.0
	// section 6.3). encoding/xml keeps both; an XMPP stanza with two "to"
	// or "type" attributes would mean one thing to the code that reads the
	// first and another to the code that reads the last.
	ErrDuplicateAttr = errors.New("xmlnode: duplicate attribute")
)

// DuplicateAttr reports whether attrs holds two attributes with the same
// expanded name (namespace and local name). Parsers that build elements
// themselves use it to refuse what Read refuses with ErrDuplicateAttr.
func DuplicateAttr(attrs []xml.Attr) bool {
	if len(attrs) <= 16 {
		for i := 1; i < len(attrs); i++ {
			for j := range i {
				if attrs[i].Name == attrs[j].Name {
					return true
				}
			}
		}
		return false
	}
	seen := make(map[xml.Name]struct{}, len(attrs))
	for _, a := range attrs {
		if _, dup := seen[a.Name]; dup {
			return true
		}
		seen[a.Name] = struct{}{}
	}
	return false
}

// ncName reports whether s, the local part of a name encoding/xml accepted
// whole, is a name by itself: non-empty, no colon, and a first character
// that may start a name.
func ncName(s string) bool {
	if s == "" || strings.IndexByte(s, ':') >= 0 {
		return false
	}
	if c := s[0]; c < utf8.RuneSelf {
		return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
	}
	// Rare: let encoding/xml, whose character tables Go peers use, judge
	// a name that starts outside ASCII.
	_, err := xml.NewDecoder(strings.NewReader("<" + s + "/>")).Token()
	return err == nil
}

// scope tracks the namespaces declared around the element being read, for
// Limits.Declared. uris holds every declaration in force; ends[i] is how
// many of them the i-th open element could see after its own.
type scope struct {
	uris []string
	ends []int
}

// enter records start's declarations and checks its names against them.
func (sc *scope) enter(start xml.StartElement) error {
	for _, a := range start.Attr {
		if isDecl(a) {
			sc.uris = append(sc.uris, a.Value)
		}
	}
	sc.ends = append(sc.ends, len(sc.uris))
	if !sc.declared(start.Name.Space) {
		return fmt.Errorf("%w: %q in <%s>", ErrUndeclaredPrefix, start.Name.Space, start.Name.Local)
	}
	for _, a := range start.Attr {
		switch a.Name.Space {
		case "", "xmlns", XMLNamespace:
		default:
			if !sc.declared(a.Name.Space) {
				return fmt.Errorf("%w: %q in attribute %s", ErrUndeclaredPrefix, a.Name.Space, a.Name.Local)
			}
		}
	}
	return nil
}

// leave forgets the declarations of the innermost open element.
func (sc *scope) leave() {
	sc.ends = sc.ends[:len(sc.ends)-1]
	if n := len(sc.ends); n > 0 {
		sc.uris = sc.uris[:sc.ends[n-1]]
	}
}

func (sc *scope) declared(space string) bool {
	return space == "" || slices.Contains(sc.uris, space)
}

// Read builds the element that start opens by reading d until its end
// element. Comments, processing instructions and directives are refused
// (RFC 6120 forbids them in streams); lim bounds depth, attribute count,
// element count and the tree's size.
//
// The tree is built compact, because stanzas wait in queues and stores as
// trees: every attribute and child list has exactly its length (collected
// on a scratch stack, then copied once when the element ends, instead of
// grown by append), and element names and namespace URIs are shared with
// the parent, an earlier element or a table of the usual XMPP ones
// instead of each element keeping the decoder's copy. Each element is its
// own allocation, so that a subtree a store keeps does not keep the rest
// of the stanza alive.
//
// Adjacent character data (text, CDATA sections, entity references, which
// encoding/xml may return as several tokens) becomes one Text node, built
// in one buffer: joining node by node would copy the run so far at every
// token, quadratic in a stanza that alternates text and CDATA.
func Read(d *xml.Decoder, start xml.StartElement, lim Limits) (*Element, error) {
	r := readers.Get().(*reader)
	root, err := r.read(d, start, lim)
	r.release()
	return root, err
}

// reader is the scratch state of one Read, pooled so that a stanza costs
// only its tree: the open elements and the children read so far of each.
type reader struct {
	open  []openElement // the root first
	kids  []Node        // children of the open elements, innermost's last
	run   []byte        // character data of the open run in the innermost element
	names names
	size  int // tree bytes so far (Limits.MaxTreeBytes)
}

// openElement is an element being read and where its children begin in
// reader.kids.
type openElement struct {
	el   *Element
	from int
}

var readers = sync.Pool{New: func() any { return new(reader) }}

// maxPooledScratch bounds the scratch slices a pooled reader keeps: a huge
// stanza's scratch is left to the collector.
const maxPooledScratch = 1024

// release clears the references the scratch holds (so that the pool keeps
// no tree alive) and puts r back.
func (r *reader) release() {
	if cap(r.kids) > maxPooledScratch || cap(r.run) > maxPooledScratch<<4 || cap(r.open) > maxPooledScratch {
		r.open, r.kids, r.run = nil, nil, nil
	} else {
		clear(r.open[:cap(r.open)])
		clear(r.kids[:cap(r.kids)])
		r.open, r.kids, r.run = r.open[:0], r.kids[:0], r.run[:0]
	}
	r.size = 0
	r.names.forget()
	readers.Put(r)
}

// Tree sizes Read counts against Limits.MaxTreeBytes: what each part of a
// tree keeps on the heap (an element, a child-list slot, an attribute, a
// Text's string header), besides the bytes of its strings.
const (
	elementBytes = int(unsafe.Sizeof(Element{}))
	slotBytes    = int(unsafe.Sizeof(Node(nil)))
	attrBytes    = int(unsafe.Sizeof(xml.Attr{}))
	textBytes    = int(unsafe.Sizeof(""))
)

func (r *reader) read(d *xml.Decoder, start xml.StartElement, lim Limits) (*Element, error) {
	root, err := r.element(start, "", lim)
	if err != nil {
		return nil, err
	}
	var sc *scope
	if lim.Declared != nil {
		sc = &scope{uris: slices.Clone(lim.Declared)}
		if err := sc.enter(start); err != nil {
			return nil, err
		}
	}
	r.open = append(r.open, openElement{root, 0})
	elements := 1
	for len(r.open) > 0 {
		tok, err := d.Token()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		top := r.open[len(r.open)-1].el
		switch t := tok.(type) {
		case xml.StartElement:
			if lim.MaxDepth > 0 && len(r.open) >= lim.MaxDepth {
				return nil, ErrDepth
			}
			if elements++; lim.MaxElements > 0 && elements > lim.MaxElements {
				return nil, ErrElements
			}
			if err := r.flush(lim); err != nil {
				return nil, err
			}
			el, err := r.element(t, top.Name.Space, lim)
			if err != nil {
				return nil, err
			}
			if sc != nil {
				if err := sc.enter(t); err != nil {
					return nil, err
				}
			}
			r.kids = append(r.kids, el)
			r.open = append(r.open, openElement{el, len(r.kids)})
		case xml.EndElement:
			if err := r.flush(lim); err != nil {
				return nil, err
			}
			n := len(r.open) - 1
			if from := r.open[n].from; from < len(r.kids) {
				if from == 0 && cap(r.kids) > maxPooledScratch && cap(r.kids)-len(r.kids) <= len(r.kids)/8 {
					// The root's list, long, in a scratch the
					// pool would not keep and with little room
					// to spare: a copy would cost more time
					// than the room costs memory.
					top.Children, r.kids = r.kids, nil
				} else {
					// What stays past the scratch's length is
					// cleared by release.
					top.Children = slices.Clone(r.kids[from:])
					r.kids = r.kids[:from]
				}
			}
			r.open[n].el = nil
			r.open = r.open[:n]
			if sc != nil {
				sc.leave()
			}
		case xml.CharData:
			// An empty CDATA section adds nothing, so that the tree
			// serialises and re-parses to the same tree.
			r.run = append(r.run, t...)
		case xml.Comment, xml.ProcInst, xml.Directive:
			return nil, ErrRestricted
		}
	}
	return root, nil
}

// flush ends the open run of character data as a Text child of the
// innermost element.
func (r *reader) flush(lim Limits) error {
	if len(r.run) == 0 {
		return nil
	}
	if err := r.grow(slotBytes+textBytes+len(r.run), lim); err != nil {
		return err
	}
	r.kids = append(r.kids, Text(r.run))
	r.run = r.run[:0]
	return nil
}

// grow counts n more tree bytes against lim.MaxTreeBytes.
func (r *reader) grow(n int, lim Limits) error {
	r.size += n
	if lim.MaxTreeBytes > 0 && r.size > lim.MaxTreeBytes {
		return ErrTreeBytes
	}
	return nil
}

// ErrEnd is returned by ReadNext when it meets an end element instead of
// the next element: on a stream, the peer's </stream:stream>.
var ErrEnd = errors.New("xmlnode: end of the enclosing element")

// ReadNext reads the next element at the decoder's current level, skipping
// the text (whitespace keepalives) before it: how a client or a test takes
// the next stanza, or stream-level element, off a stream. It returns ErrEnd
// at an end element, and the decoder's error (io.EOF when the input ends
// between elements) or Read's otherwise. Servers reading untrusted input use
// their own loop, which also polices the text between stanzas.
func ReadNext(d *xml.Decoder, lim Limits) (*Element, error) {
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return Read(d, t, lim)
		case xml.EndElement:
			return nil, ErrEnd
		}
	}
}

// element makes the element start opens, inside an element in namespace
// parent, with its attributes (less namespace declarations) in a list of
// exactly their number.
func (r *reader) element(start xml.StartElement, parent string, lim Limits) (*Element, error) {
	if !ncName(start.Name.Local) {
		return nil, fmt.Errorf("%w: element %q", ErrName, start.Name.Local)
	}
	n := 0
	size := elementBytes + slotBytes + len(start.Name.Local)
	for _, a := range start.Attr {
		if isDecl(a) {
			continue
		}
		if !ncName(a.Name.Local) {
			return nil, fmt.Errorf("%w: attribute %q", ErrName, a.Name.Local)
		}
		n++
		if lim.MaxAttrs > 0 && n > lim.MaxAttrs {
			return nil, ErrAttrs
		}
		size += attrBytes + len(a.Name.Local) + len(a.Value)
	}
	if err := r.grow(size, lim); err != nil {
		return nil, err
	}
	e := &Element{Name: xml.Name{Space: r.names.space(start.Name.Space, parent), Local: r.names.local(start.Name.Local)}}
	if n > 0 {
		e.Attr = make([]xml.Attr, 0, n)
		for _, a := range start.Attr {
			if isDecl(a) {
				continue
			}
			if a.Name.Space != "" {
				a.Name.Space = r.names.space(a.Name.Space, "")
			}
			a.Name.Local = r.names.attr(len(e.Attr), a.Name.Local)
			e.Attr = append(e.Attr, a)
		}
		if DuplicateAttr(e.Attr) {
			return nil, fmt.Errorf("%w on element %q", ErrDuplicateAttr, start.Name.Local)
		}
	}
	return e, nil
}

// isDecl reports whether a declares a namespace (xmlns or xmlns:prefix),
// which the tree does not keep as an attribute.
func isDecl(a xml.Attr) bool {
	return a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns")
}

// Parse parses a single element from s. It is meant for trusted input such
// as test scripts and fixtures; whitespace-only text between elements is
// kept, use TrimSpace to drop it.
func Parse(s string) (*Element, error) { return ParseIn(s, "") }

// ParseIn parses s as an element written where parentNS is the default
// namespace, as AppendTo(buf, parentNS) writes one: the reverse of
// AppendTo, for a store that keeps stanzas in the form they go on the
// wire (a stanza costs its wire bytes there, not the several times more
// its tree costs) and rebuilds the tree when it sends one. Like Parse it
// is for trusted input: what this server serialised itself.
func ParseIn(s, parentNS string) (*Element, error) {
	d := xml.NewDecoder(strings.NewReader(s))
	d.DefaultSpace = parentNS
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, fmt.Errorf("xmlnode: parse: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			e, err := Read(d, t, Limits{})
			if err != nil {
				return nil, fmt.Errorf("xmlnode: parse: %w", err)
			}
			return e, nil
		case xml.CharData:
			if strings.TrimSpace(string(t)) != "" {
				return nil, errors.New("xmlnode: parse: text before the element")
			}
		}
	}
}

// MustParse is Parse for literals in code and tests; it panics on error and
// must never see network input.
func MustParse(s string) *Element {
	e, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return e
}

// TrimSpace removes whitespace-only text nodes from e and its descendants
// (pretty-printing in scripts and fixtures), keeping text that has content.
func (e *Element) TrimSpace() *Element {
	out := e.Children[:0]
	for _, c := range e.Children {
		switch n := c.(type) {
		case Text:
			if strings.TrimSpace(string(n)) == "" {
				continue
			}
		case *Element:
			n.TrimSpace()
		}
		out = append(out, c)
	}
	e.Children = out
	return e
}
