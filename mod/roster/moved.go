package roster

import (
	"time"

	"mellium.im/xmpp/jid"

	"github.com/muctest/muctest/jidcheck"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/xmlnode"
)

// XEP-0283 (Moved), the contact's server side. A user who moved account
// publishes, from the old one, a statement naming the new one (PEP node
// urn:xmpp:moved:1, item "current"), then sends each contact a
// subscription request from the new account carrying
// <moved><old-jid/></moved>. The contact's server may check the statement
// and, when it holds, approve the request for its user, who had approved
// the old account already: the contacts move with the person instead of
// each having to accept again. A request that cannot be checked (no
// statement, a statement naming another account, a timeout) goes on as an
// ordinary request, so the user still decides.
const (
	nsMoved   = "urn:xmpp:moved:1"
	nsPubSub  = "http://jabber.org/protocol/pubsub"
	movedNode = nsMoved
)

// movedTimeout bounds the wait for the old account's statement: it is
// local (there is no s2s), so it normally comes back within the same
// routing pass.
const movedTimeout = 10 * time.Second

// maxMovedChecks is how many statement checks the server runs at once;
// past it a request with <moved/> is handled as an ordinary request, so a
// client sending many costs no more than their iqs.
const maxMovedChecks = 64

// moved intercepts a subscription request with a moved notice for a
// (before Inbound sees it) when it qualifies for a check: the old JID is
// a contact a's user lets see their presence, and the new one is neither
// subscribed already nor waiting. It then asks the old account's PEP
// service for the statement and finishes in movedChecked.
func (m *mod) moved(c module.Context, ev *module.Delivered) bool {
	st := ev.Stanza
	if st.Attrib("type") != "subscribe" {
		return false
	}
	mv := st.Child(nsMoved, "moved")
	if mv == nil {
		return false
	}
	oldJID, err := jidcheck.Parse(mv.ChildText(nsMoved, "old-jid"))
	if err != nil || oldJID.Localpart() == "" {
		return false
	}
	from, err := jidcheck.ParseFast(st.Attrib("from"))
	if err != nil {
		return false
	}
	oldB, newB := oldJID.Bare().String(), from.Bare().String()
	a := ev.Account
	ro := rosters.Get(a)
	if ro == nil || oldB == newB || oldB == a.JID().String() {
		return false
	}
	if it := ro.items[oldB]; it == nil || !it.subFrom {
		return false
	}
	if it := ro.items[newB]; it != nil && it.subFrom {
		return false
	}
	if _, pending := ro.pendingIn[newB]; pending || m.movedChecks >= maxMovedChecks {
		return false
	}
	m.movedChecks++
	kept := st.Copy()
	name := a.Name()
	iq := xmlnode.New(nsClient, "iq", "type", "get", "to", oldB)
	iq.AddChild(nsPubSub, "pubsub").AddChild(nsPubSub, "items", "node", movedNode).AddChild(nsPubSub, "item", "id", "current")
	c.SendIQ(iq, movedTimeout, func(c module.Context, reply *xmlnode.Element, err error) {
		m.movedChecks--
		if err == module.ErrClosed {
			return
		}
		a := c.Account(name)
		if a == nil {
			return
		}
		if err == nil && statementNames(reply, newB) {
			m.movedApproved(c, a, kept, oldB, from.Bare())
			return
		}
		m.Inbound(c, a, kept, from.Bare())
	})
	return true
}

// statementNames reports whether reply (to the items request of moved)
// carries a moved statement whose new-jid is newB.
func statementNames(reply *xmlnode.Element, newB string) bool {
	if reply == nil || reply.Attrib("type") != "result" {
		return false
	}
	ps := reply.Child(nsPubSub, "pubsub")
	if ps == nil {
		return false
	}
	items := ps.Child(nsPubSub, "items")
	if items == nil {
		return false
	}
	for _, it := range items.ChildrenNamed(nsPubSub, "item") {
		// A stored item's payload is kept serialised (xmlnode.Raw).
		mv := it.Expanded().Child(nsMoved, "moved")
		if mv == nil {
			continue
		}
		j, err := jidcheck.Parse(mv.ChildText(nsMoved, "new-jid"))
		if err == nil && j.Localpart() != "" && j.Bare().String() == newB {
			return true
		}
	}
	return false
}

// movedApproved approves the verified request st from newJID for a's user,
// as if the user had: the new JID gets "from" (a roster push says so), is
// told "subscribed" and gets the user's current presence (RFC 6121 section
// 3.1.5). When the user was also subscribed to the old JID's presence, a
// request goes to the new one as well. If the roster changed while the
// statement was fetched so that the request no longer qualifies, st is
// handled as any request.
func (m *mod) movedApproved(c module.Context, a module.Account, st *xmlnode.Element, oldB string, newJID jid.JID) {
	ro := rosters.Use(a)
	newB := newJID.String()
	old := ro.items[oldB]
	if it := ro.items[newB]; old == nil || !old.subFrom || (it != nil && it.subFrom) {
		m.Inbound(c, a, st, newJID)
		return
	}
	if _, pending := ro.pendingIn[newB]; pending {
		m.Inbound(c, a, st, newJID)
		return
	}
	if !m.mayAdd(c, a, ro, newB, st) {
		return
	}
	it := ro.item(newB, true)
	it.subFrom = true
	it.approved = false
	ro.subsChanged()
	us := a.JID().String()
	c.Route(xmlnode.New(nsClient, "presence", "type", "subscribed", "from", us, "to", newB))
	m.push(a, newB)
	c.SendPresenceOf(a, newJID, nil)
	if old.subTo && !it.subTo && !it.ask {
		it.ask = true
		m.push(a, newB)
		c.Route(xmlnode.New(nsClient, "presence", "type", "subscribe", "from", us, "to", newB))
	}
}
