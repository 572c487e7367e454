package bookmarks

import (
	"github.com/muctest/muctest/pubsub"
	"github.com/muctest/muctest/xmlnode"
)

// Namespaces of the three ways bookmarks are kept.
const (
	// NS is XEP-0402 bookmarks 2: one PEP item per room, id = room JID.
	NS = "urn:xmpp:bookmarks:1"
	// NSLegacy is XEP-0048's <storage/>, in XEP-0049 private XML or in
	// the PEP node of that name, one item "current" holding every room.
	NSLegacy = "storage:bookmarks"
	// NSPrivate is XEP-0049 private XML storage.
	NSPrivate = "jabber:iq:private"
)

// Options is the node configuration bookmarks live under (XEP-0402
// section 3): persistent, as many items as the service allows, private to
// the owner, never sent on its own.
func Options() *pubsub.Form {
	return &pubsub.Form{
		Type: "submit",
		Values: map[string][]string{
			"pubsub#persist_items":            {"true"},
			"pubsub#max_items":                {"max"},
			"pubsub#send_last_published_item": {"never"},
			"pubsub#access_model":             {"whitelist"},
		},
		Order: []string{"pubsub#persist_items", "pubsub#max_items", "pubsub#send_last_published_item", "pubsub#access_model"},
	}
}

// Legacy renders bookmarks 2 items (<item id='room@muc'><conference/></item>
// in any namespace) as one XEP-0048 <storage/>, in the items' order, as
// Prosody's mod_bookmarks does: name, autojoin, nick and password carry
// over; extensions do not.
func Legacy(items []*xmlnode.Element) *xmlnode.Element {
	st := xmlnode.New(NSLegacy, "storage")
	for _, it := range items {
		c := xmlnode.New(NSLegacy, "conference", "jid", it.Attrib("id"))
		conf := it.Child(NS, "conference")
		if conf != nil {
			if v, ok := conf.LookupAttr("", "name"); ok {
				c.SetAttr("name", v)
			}
			if v, ok := conf.LookupAttr("", "autojoin"); ok {
				c.SetAttr("autojoin", v)
			}
			if n := conf.Child(NS, "nick"); n != nil {
				c.AddChild(NSLegacy, "nick").SetText(n.Text())
			}
			if p := conf.Child(NS, "password"); p != nil {
				c.AddChild(NSLegacy, "password").SetText(p.Text())
			}
		}
		st.Append(c)
	}
	return st
}

// Entry is one room of a legacy <storage/> as a bookmarks 2 item.
type Entry struct {
	JID  string           // the item id
	Item *xmlnode.Element // <item xmlns=pubsub id=JID><conference xmlns=bookmarks:1/></item>
}

// FromLegacy turns a XEP-0048 <storage/> into bookmarks 2 items, one per
// conference with a jid (the URL bookmarks of XEP-0048 have no XEP-0402
// form and are dropped, as Prosody drops them). A room listed twice keeps
// its last entry.
func FromLegacy(storage *xmlnode.Element) []Entry {
	var out []Entry
	at := map[string]int{} // index in out of each room, to keep its last entry
	for _, c := range storage.ChildrenNamed(NSLegacy, "conference") {
		j := c.Attrib("jid")
		if j == "" {
			continue
		}
		conf := xmlnode.New(NS, "conference")
		if v, ok := c.LookupAttr("", "name"); ok {
			conf.SetAttr("name", v)
		}
		if v, ok := c.LookupAttr("", "autojoin"); ok {
			conf.SetAttr("autojoin", v)
		}
		if n := c.Child(NSLegacy, "nick"); n != nil {
			conf.AddChild(NS, "nick").SetText(n.Text())
		}
		if p := c.Child(NSLegacy, "password"); p != nil {
			conf.AddChild(NS, "password").SetText(p.Text())
		}
		item := xmlnode.New(pubsub.NS, "item", "id", j)
		item.Append(conf)
		if i, ok := at[j]; ok {
			out[i].Item = nil // superseded: dropped below, keeping the order
		}
		at[j] = len(out)
		out = append(out, Entry{JID: j, Item: item})
	}
	if len(at) == len(out) {
		return out
	}
	kept := out[:0]
	for _, e := range out {
		if e.Item != nil {
			kept = append(kept, e)
		}
	}
	return kept
}

// Same reports whether two bookmarks 2 items say the same thing for what
// XEP-0048 can carry, so that a legacy save republishes only what
// changed (and notifies nobody of the rest).
func Same(a, b *xmlnode.Element) bool {
	if a == nil || b == nil || a.Attrib("id") != b.Attrib("id") {
		return false
	}
	ca, cb := a.Child(NS, "conference"), b.Child(NS, "conference")
	if ca == nil || cb == nil {
		return false
	}
	return ca.Attrib("name") == cb.Attrib("name") && ca.Attrib("autojoin") == cb.Attrib("autojoin") &&
		ca.ChildText(NS, "nick") == cb.ChildText(NS, "nick") &&
		ca.ChildText(NS, "password") == cb.ChildText(NS, "password")
}
