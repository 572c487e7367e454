package pubsub

import (
	"encoding/xml"
	"slices"

	"github.com/muctest/muctest/xmlnode"
)

// item is one stored item: its id, publisher and payload, kept in its
// wire form (a tree of tiny elements would cost 24 times its quota), and
// the size on the wire of its <item/> element, which the quotas count.
type item struct {
	id        string
	publisher string // bare JID of who published it
	payload   *xmlnode.Raw
	size      int
}

// wireSize returns the length of it.element(true) serialised in the
// pubsub namespace, what the quotas count, without writing the payload.
func (it *item) wireSize() int {
	el := it.element(true)
	el.Children = nil
	var buf [256]byte
	start := len(el.AppendTo(buf[:0], NS)) - len("/>") + len(">")
	return start + it.payload.SizeIn(NS) + len("</item>")
}

// element returns the <item/> element in the pubsub namespace that
// carries it, with publisher= when withPublisher and it has one: built
// for each result, around the payload's bytes.
func (it *item) element(withPublisher bool) *xmlnode.Element {
	// One allocation: the element, its attributes and its child list.
	b := &struct {
		el    xmlnode.Element
		attrs [2]xml.Attr
		kids  [1]xmlnode.Node
	}{}
	b.attrs[0] = xml.Attr{Name: xml.Name{Local: "id"}, Value: it.id}
	n := 1
	if withPublisher && it.publisher != "" {
		b.attrs[1] = xml.Attr{Name: xml.Name{Local: "publisher"}, Value: it.publisher}
		n = 2
	}
	b.kids[0] = it.payload
	b.el = xmlnode.Element{Name: xml.Name{Space: NS, Local: "item"}, Attr: b.attrs[:n:n], Children: b.kids[:]}
	return &b.el
}

// subscription is one subscriber of a node.
type subscription struct {
	jid         string // as subscribed: a full or bare JID
	includeBody bool   // pubsub#include_body
}

// node is one pubsub node. Its fields are guarded by the service's lock.
type node struct {
	name  string
	cfg   NodeConfig
	items []*item // oldest first
	bytes int
	subs  []subscription // in subscription order: notifications go out in it
	affs  map[string]Affiliation
	// affOrder keeps the affiliations in the order they were set, for a
	// stable owner listing.
	affOrder []string
}

func newNode(name string, cfg NodeConfig) *node {
	return &node{name: name, cfg: cfg, affs: make(map[string]Affiliation)}
}

func (n *node) item(id string) *item {
	for _, it := range n.items {
		if it.id == id {
			return it
		}
	}
	return nil
}

// removeItem drops the item with id, returning it (nil when absent).
func (n *node) removeItem(id string) *item {
	for i, it := range n.items {
		if it.id == id {
			n.items = slices.Delete(n.items, i, i+1)
			n.bytes -= it.size
			return it
		}
	}
	return nil
}

// trim drops the oldest items beyond max, returning the bytes freed.
func (n *node) trim(max int) int {
	freed := 0
	for len(n.items) > max {
		freed += n.items[0].size
		n.items[0] = nil
		n.items = n.items[1:]
	}
	n.bytes -= freed
	return freed
}

// clear drops every item, returning the bytes freed.
func (n *node) clear() int {
	freed := n.bytes
	n.items = nil
	n.bytes = 0
	return freed
}

// last returns the most recent item, nil when there is none.
func (n *node) last() *item {
	if len(n.items) == 0 {
		return nil
	}
	return n.items[len(n.items)-1]
}

func (n *node) subscriptionOf(j string) (subscription, bool) {
	for _, s := range n.subs {
		if s.jid == j {
			return s, true
		}
	}
	return subscription{}, false
}

// setAffiliation records a (None removes it).
func (n *node) setAffiliation(j string, a Affiliation) {
	if a == None || a == "" {
		if _, ok := n.affs[j]; ok {
			delete(n.affs, j)
			n.affOrder = slices.DeleteFunc(n.affOrder, func(s string) bool { return s == j })
		}
		return
	}
	if _, ok := n.affs[j]; !ok {
		n.affOrder = append(n.affOrder, j)
	}
	n.affs[j] = a
}
