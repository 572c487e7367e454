package xmlnode

import (
	"encoding/xml"
	"slices"
	"strings"
	"sync"
)

// Raw is serialised XML kept in a tree as one node: a stored stanza's
// payload in the form it goes on the wire. A store that keeps stanzas for
// long (pubsub items, MUC history) keeps them this way because a tree
// costs up to 24 heap bytes per wire byte (80 bytes of Element for
// "<a/>"), so a quota counted in wire bytes would bound nothing of the
// heap; a Raw costs its bytes and a few words.
//
// The encoder writes a Raw verbatim wherever a tree holding it is
// written (Encode, AppendTo, AppendToAttr, String, Freeze), so a stored
// payload goes out as one copy. The readers of the tree (Child,
// Elements, Text, match...) do not see into it: code that reads a stored
// payload calls Expanded (or Nodes) to parse it back, which only the few
// readers of stored payloads need to.
//
// A Raw is never changed once made: trees and goroutines may share one.
// Make one with RawElement or Sealed; the zero value writes nothing.
type Raw struct {
	// xml is the nodes as written inside an element whose namespace is
	// space (the default namespace in force there).
	xml   string
	space string
	// head, for a Raw of one element (RawElement), is the length of
	// "<" and its local name: where the element's xmlns goes when it is
	// written under another namespace than its own (space). Zero for a
	// Raw of child nodes (Sealed), which is written verbatim only inside
	// an element in space.
	head int
}

func (*Raw) node() {}

// RawElement returns e serialised as one Raw node, which writes exactly
// what e does in any parent: how a store keeps an element that it sends
// inside different elements (a pubsub item's payload, in an items result
// and in event notifications).
func RawElement(e *Element) *Raw {
	w := scratch()
	e.write(w, e.Name.Space) // its own xmlns is the parent's business
	r := &Raw{xml: string(w.b), space: e.Name.Space, head: 1 + len(e.Name.Local)}
	release(w)
	return r
}

// scratches are the buffers RawElement and Sealed serialise into before
// they copy the bytes into the Raw's string: the one allocation a Raw's
// bytes cost is then that string.
var scratches = sync.Pool{New: func() any { return &sliceWriter{make([]byte, 0, 1024)} }}

func scratch() *sliceWriter { return scratches.Get().(*sliceWriter) }

// release puts w back unless it grew past what is worth keeping (a
// stanza's size limit is 256 KiB; most are a few hundred bytes).
func release(w *sliceWriter) {
	if cap(w.b) <= 64<<10 {
		w.b = w.b[:0]
		scratches.Put(w)
	}
}

// Sealed returns a copy of e with its own attribute list whose children
// are one Raw node, their serialisation: the form a store keeps a stanza
// in when it sends it again with top-level changes (a MUC history message
// gets each recipient's "to"). The copy encodes exactly as e does; its
// attributes can be read and set as e's, its payload only through
// Expanded. An element without children is copied as it is.
func (e *Element) Sealed() *Element {
	c := &Element{Name: e.Name, Attr: slices.Clone(e.Attr)}
	if len(e.Children) == 0 {
		return c
	}
	if r, ok := e.Children[0].(*Raw); ok && len(e.Children) == 1 && (r.space == e.Name.Space || r.head > 0) {
		c.Children = []Node{r}
		return c
	}
	if f := e.frozenOf(); f != nil {
		c.Children = []Node{&Raw{xml: f.xml, space: e.Name.Space}}
		return c
	}
	w := scratch()
	for _, n := range e.Children {
		writeNode(w, n, e.Name.Space)
	}
	c.Children = []Node{&Raw{xml: string(w.b), space: e.Name.Space}}
	release(w)
	return c
}

// Len returns the length of r's serialisation (written in its own
// namespace): what it keeps on the heap besides a few words.
func (r *Raw) Len() int { return len(r.xml) }

// SizeIn returns the length of what r writes inside an element whose
// namespace is parentNS: how a store counts a stored payload's wire size
// in its parent without writing it.
func (r *Raw) SizeIn(parentNS string) int {
	switch {
	case parentNS == r.space:
		return len(r.xml)
	case r.head > 0:
		n := len(r.xml) + len(` xmlns=""`)
		for i := 0; i < len(r.space); i++ {
			if esc := attrEscapes[r.space[i]]; esc != "" {
				n += len(esc)
			} else {
				n++
			}
		}
		return n
	}
	var w sliceWriter
	r.writeIn(&w, parentNS)
	return len(w.b)
}

// String returns r's serialisation as written inside an element of its
// namespace, for logs and tests.
func (r *Raw) String() string { return r.xml }

// writeIn writes r inside an element whose namespace is ns.
func (r *Raw) writeIn(w *sliceWriter, ns string) {
	switch {
	case ns == r.space:
		w.WriteString(r.xml)
	case r.head > 0:
		// One element: its xmlns, as writeStart puts it, right after
		// its name.
		w.WriteString(r.xml[:r.head])
		w.WriteString(` xmlns="`)
		escapeAttr(w, r.space)
		w.WriteByte('"')
		w.WriteString(r.xml[r.head:])
	default:
		// Children moved to an element of another namespace (nothing
		// in this server does that): an element among them whose
		// namespace was the default one now needs its own xmlns, so
		// they are written again from their tree.
		nodes, err := r.Nodes()
		if err != nil {
			w.WriteString(r.xml)
			return
		}
		for _, n := range nodes {
			writeNode(w, n, ns)
		}
	}
}

// Names returns the names of the elements r holds at its top level, in
// order, without parsing it: what a filter that looks only at a stored
// stanza's payload names (which children a history message has) needs,
// for the cost of a scan. It relies on r being this package's own
// serialisation, in which "<" only ever opens a tag and ">" closes one
// (character data and attribute values escape both), and an element's
// namespace, where it changes, is the first attribute.
func (r *Raw) Names() []xml.Name {
	var out []xml.Name
	s, depth := r.xml, 0
	for {
		i := strings.IndexByte(s, '<')
		if i < 0 || i+1 >= len(s) {
			return out
		}
		end := strings.IndexByte(s[i:], '>')
		if end < 0 {
			return out
		}
		tag := s[i+1 : i+end] // without < and >
		s = s[i+end+1:]
		if tag[0] == '/' {
			depth--
			continue
		}
		empty := strings.HasSuffix(tag, "/")
		if depth == 0 {
			tag = strings.TrimSuffix(tag, "/")
			local, attrs, _ := strings.Cut(tag, " ")
			space := r.space
			if v, ok := strings.CutPrefix(attrs, `xmlns="`); ok {
				space, _, _ = strings.Cut(v, `"`)
				if strings.IndexByte(space, '&') >= 0 {
					space = unescapeAttr.Replace(space)
				}
			}
			out = append(out, xml.Name{Space: space, Local: local})
		}
		if !empty {
			depth++
		}
	}
}

// unescapeAttr reverses attrEscapes.
var unescapeAttr = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#xD;", "\r",
	"&quot;", `"`, "&apos;", "'", "&#xA;", "\n", "&#x9;", "\t")

// Nodes parses r back into the nodes it holds (for a Raw from
// RawElement, the one element). They are new: the caller may change them.
// An error means r was made from a tree that does not serialise to XML
// (text with characters XML forbids, which Read never returns).
func (r *Raw) Nodes() ([]Node, error) {
	var b strings.Builder
	b.Grow(len(r.xml) + len(r.space) + 24)
	b.WriteString("<r")
	if r.space != "" {
		w := sliceWriter{make([]byte, 0, len(r.space)+16)}
		w.WriteString(` xmlns="`)
		escapeAttr(&w, r.space)
		w.WriteByte('"')
		b.Write(w.b)
	}
	b.WriteByte('>')
	b.WriteString(r.xml)
	b.WriteString("</r>")
	d := xml.NewDecoder(strings.NewReader(b.String()))
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	root, err := Read(d, tok.(xml.StartElement), Limits{})
	if err != nil {
		return nil, err
	}
	return root.Children, nil
}

// Expanded returns e with every Raw node in its tree parsed back into
// elements and text, for code that reads a stored payload (bookmarks
// converted to their legacy form, an avatar's metadata, a filter that
// looks at a history message's children). It returns e itself when its
// tree holds no Raw; otherwise a copy, which shares with e the subtrees
// that hold none (change neither). A Raw that does not parse (see
// Nodes) is kept as it is.
func (e *Element) Expanded() *Element {
	if !e.hasRaw() {
		return e
	}
	c := &Element{Name: e.Name, Attr: slices.Clone(e.Attr), Children: make([]Node, 0, len(e.Children))}
	for _, n := range e.Children {
		switch n := n.(type) {
		case *Raw:
			nodes, err := n.Nodes()
			if err != nil {
				c.Children = append(c.Children, n)
				continue
			}
			c.Children = append(c.Children, nodes...)
		case *Element:
			c.Children = append(c.Children, n.Expanded())
		default:
			c.Children = append(c.Children, n)
		}
	}
	return c
}

// hasRaw reports whether e's tree holds a Raw node.
func (e *Element) hasRaw() bool {
	for _, n := range e.Children {
		switch n := n.(type) {
		case *Raw:
			return true
		case *Element:
			if n.hasRaw() {
				return true
			}
		}
	}
	return false
}
