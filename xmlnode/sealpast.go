package xmlnode

import "slices"

// SealedPast returns e itself when its tree holds at most n elements (e
// included), and otherwise a copy of e (sharing its attributes and the
// children it keeps, with attributes of its own) whose first children stay elements as long as the
// count stays within n, and whose other children, from the first that
// would pass it on, are one Raw node of their serialisation (as Sealed
// makes). The copy encodes exactly as e does.
//
// It is for a store that keeps a client's stanza for long and reads its
// usual children (a presence's show, status, priority, caps): a tree
// costs up to 24 heap bytes per wire byte (Raw), so a presence of
// thousands of empty elements, 20 KB on the wire, would cost about half
// a megabyte kept as a tree (cmd/mucattack's presence-tree-hoard), while
// a real one has a dozen elements and is kept as it is. A reader that
// looks past the first n elements does not find them (only Expanded
// does).
func (e *Element) SealedPast(n int) *Element {
	budget := n - 1
	cut := -1
	for i, c := range e.Children {
		el, ok := c.(*Element)
		if !ok {
			continue
		}
		budget -= el.CountWithin(budget + 1)
		if budget < 0 {
			cut = i
			break
		}
	}
	if cut < 0 {
		return e
	}
	rest := (&Element{Name: e.Name, Children: slices.Clip(e.Children[cut:])}).Sealed()
	c := &Element{Name: e.Name, Attr: slices.Clone(e.Attr), Children: make([]Node, 0, cut+len(rest.Children))}
	c.Children = append(c.Children, e.Children[:cut]...)
	c.Children = append(c.Children, rest.Children...)
	return c
}

// CountWithin counts the elements of e's tree (e included), stopping as
// soon as the count passes max, so that a hostile tree of millions costs
// no more than max steps: for bounds on element-dense stanzas (SealedPast;
// c2s charges a stanza's elements against the read allowance).
func (e *Element) CountWithin(max int) int {
	n := 1
	for _, c := range e.Children {
		if n > max {
			break
		}
		if el, ok := c.(*Element); ok {
			n += el.CountWithin(max - n)
		}
	}
	return n
}
