package xmlnode

import (
	"encoding/xml"
	"slices"
)

// ShallowCopy returns a copy of e with its own attribute and child lists
// whose child nodes are shared with e, as is e's Freeze serialisation if it
// has one. It is how one stanza is addressed to many recipients: set "to"
// (or any other attribute), or change the child list, on the copy without
// touching e. The shared children must not be changed, through the copy or
// through e; use Copy for a copy whose children may be.
func (e *Element) ShallowCopy() *Element {
	if e == nil {
		return nil
	}
	c := &Element{Name: e.Name}
	// One spare slot: the common use adds an attribute, usually "to".
	c.Attr = make([]xml.Attr, len(e.Attr), len(e.Attr)+1)
	copy(c.Attr, e.Attr)
	// The entry past the list's length is copied too: it holds the
	// Freeze serialisation if e has one (see frozenChildren). Kept this
	// short, ShallowCopy is inlined, and a copy that does not escape its
	// caller is not allocated at all.
	k := e.Children
	if cap(k) > len(k) {
		k = k[:len(k)+1]
	}
	c.Children = slices.Clone(k)[:len(e.Children)]
	return c
}

// Freeze returns a shallow copy of e (see ShallowCopy) that carries the
// serialisation of e's children, made once, now. Encode, AppendTo and
// String write those bytes verbatim for that copy and for its shallow
// copies, so that a stanza sent to many recipients who differ only in
// top-level attributes (a MUC groupchat message and its "to") costs one
// serialisation of its payload plus one start and end tag per recipient,
// instead of a full serialisation each.
//
// The bytes are what the children serialise to inside an element in e's
// namespace; they depend on nothing else, because an element always makes
// its own namespace the default one inside it (writing xmlns when the
// parent's differs) and declares the prefixes its attributes use on
// itself. So they are valid wherever the frozen element is written: as a
// jabber:client stanza on a c2s stream, with xmlns under String, nested in
// a carbon's <forwarded/>. A copy whose name's namespace or whose child
// list (length or any entry) no longer matches e's at Freeze time is
// written the ordinary way: top-level edits are safe.
//
// Every reader of the tree (Child, Elements, Text, Copy, match...) sees the
// parsed children as before; only the encoder uses the bytes. The one rule:
// the children themselves must not change after Freeze (neither their
// attributes nor their own children), since the bytes would no longer say
// what the tree does. That is already the rule for children a ShallowCopy
// shares with other copies.
func (e *Element) Freeze() *Element {
	if len(e.Children) == 0 {
		// Nothing to serialise ahead: the copy is written "<x/>".
		return e.ShallowCopy()
	}
	// A stanza's payload is usually a few hundred bytes: one buffer, then
	// one exact-size string, rather than a Builder growing from 8 bytes.
	b := sliceWriter{make([]byte, 0, 512)}
	for _, n := range e.Children {
		writeNode(&b, n, e.Name.Space)
	}
	c := &Element{Name: e.Name, Attr: make([]xml.Attr, len(e.Attr), len(e.Attr)+1)}
	copy(c.Attr, e.Attr)
	f := &frozenChildren{
		space: e.Name.Space,
		// A list of its own, so that in-place edits of a copy's
		// Children (RemoveChildren, SetText) cannot change it too.
		nodes: slices.Clone(e.Children),
		xml:   string(b.b),
	}
	c.Children = withFrozen(e.Children, f)
	return c
}

// frozenChildren is the serialisation Freeze made: xml is nodes written
// inside an element whose namespace is space. It is never changed after
// Freeze, so copies on different goroutines may share it.
//
// It is kept in the frozen element's child list, one entry past its
// length (Children[:len+1][len]), rather than in a field of Element: only
// broadcast copies have one, and a field would cost every element of every
// tree a pointer. Appending a child overwrites it, and a list edited in
// place keeps it only while it still matches; either way an edited list is
// written the ordinary way. It implements Node only to fit in the list;
// no child list ever holds it within its length.
type frozenChildren struct {
	space string
	nodes []Node
	xml   string
}

func (*frozenChildren) node() {}

// withFrozen returns a copy of children with f in the hidden entry past
// its length.
func withFrozen(children []Node, f *frozenChildren) []Node {
	c := make([]Node, len(children)+1)
	copy(c, children)
	c[len(children)] = f
	return c[:len(children)]
}

// frozenOf returns the Freeze serialisation e carries when it still
// describes e's children, or nil.
func (e *Element) frozenOf() *frozenChildren {
	n := len(e.Children)
	if n == 0 || cap(e.Children) == n {
		return nil
	}
	f, ok := e.Children[:n+1][n].(*frozenChildren)
	if !ok || !f.matches(e) {
		return nil
	}
	return f
}

// matches reports whether f still serialises e's children: same namespace
// around them, same child list. Nodes compare by identity for elements and
// by value for text (Node is implemented only by *Element and Text, both
// comparable, and frozenChildren, never in a list).
func (f *frozenChildren) matches(e *Element) bool {
	if f.space != e.Name.Space || len(f.nodes) != len(e.Children) {
		return false
	}
	for i, n := range e.Children {
		if n != f.nodes[i] {
			return false
		}
	}
	return true
}
