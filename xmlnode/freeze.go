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
	c := &Element{Name: e.Name, frozen: e.frozen}
	// One spare slot: the common use adds an attribute, usually "to".
	c.Attr = make([]xml.Attr, len(e.Attr), len(e.Attr)+1)
	copy(c.Attr, e.Attr)
	if len(e.Children) > 0 {
		c.Children = slices.Clone(e.Children)
	}
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
	// A stanza's payload is usually a few hundred bytes: one buffer, then
	// one exact-size string, rather than a Builder growing from 8 bytes.
	b := sliceWriter{make([]byte, 0, 512)}
	for _, n := range e.Children {
		writeNode(&b, n, e.Name.Space)
	}
	c := e.ShallowCopy()
	c.frozen = &frozenChildren{
		space: e.Name.Space,
		// A list of its own, so that in-place edits of a copy's
		// Children (RemoveChildren, SetText) cannot change it too.
		nodes: slices.Clone(e.Children),
		xml:   string(b.b),
	}
	return c
}

// frozenChildren is the serialisation Freeze made: xml is nodes written
// inside an element whose namespace is space. It is never changed after
// Freeze, so copies on different goroutines may share it.
type frozenChildren struct {
	space string
	nodes []Node
	xml   string
}

// matches reports whether f still serialises e's children: same namespace
// around them, same child list. Nodes compare by identity for elements and
// by value for text (Node is implemented only by *Element and Text, both
// comparable).
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
