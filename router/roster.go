package router

import (
	"slices"
	"strconv"

	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/muctest/muctest/xmlnode"
)

// rosterItem is one contact in a roster (RFC 6121 section 2.1.2).
type rosterItem struct {
	jid    string
	name   string
	groups []string
	// subTo: the user receives the contact's presence; subFrom: the
	// contact receives the user's. The subscription attribute ("none",
	// "to", "from", "both") is derived from the two (subscription), and
	// each RFC 6121 section 3 transition sets or clears one of them.
	subTo, subFrom bool
	// ask is true while our subscription request is pending ("ask='subscribe'").
	ask bool
	// approved is a subscription pre-approval (RFC 6121 section 3.4).
	approved bool
}

// subscription is the item's subscription attribute (RFC 6121 section
// 2.1.2.5).
func (it *rosterItem) subscription() string {
	switch {
	case it.subTo && it.subFrom:
		return "both"
	case it.subTo:
		return "to"
	case it.subFrom:
		return "from"
	}
	return "none"
}

func (it *rosterItem) element() *xmlnode.Element {
	e := xmlnode.New(nsRoster, "item", "jid", it.jid, "subscription", it.subscription())
	if it.name != "" {
		e.SetAttr("name", it.name)
	}
	if it.ask {
		e.SetAttr("ask", "subscribe")
	}
	if it.approved {
		e.SetAttr("approved", "true")
	}
	for _, g := range it.groups {
		e.AddChild(nsRoster, "group").SetText(g)
	}
	return e
}

// item returns the roster item for bare, creating it (subscription none)
// when create is set.
func (a *account) item(bare string, create bool) *rosterItem {
	if it := a.roster[bare]; it != nil || !create {
		return it
	}
	it := &rosterItem{jid: bare}
	if a.roster == nil {
		a.roster = map[string]*rosterItem{}
	}
	a.roster[bare] = it
	a.order = append(a.order, bare)
	return it
}

func (a *account) removeItem(bare string) {
	delete(a.roster, bare)
	a.order = slices.DeleteFunc(a.order, func(j string) bool { return j == bare })
}

// items returns the roster in insertion order.
func (a *account) items() []*rosterItem {
	out := make([]*rosterItem, 0, len(a.order))
	for _, j := range a.order {
		out = append(out, a.roster[j])
	}
	return out
}

// subscribedFrom reports whether the sender (a JID string) may see this
// account's presence.
func (a *account) subscribedFrom(from string) bool {
	j, err := jid.Parse(from)
	if err != nil {
		return false
	}
	it := a.roster[j.Bare().String()]
	return it != nil && it.subFrom
}

func (a *account) ver() string { return strconv.Itoa(a.rosterVer) }

// push bumps the roster version and sends a roster push for bare (its
// current item, or subscription='remove' when gone) to every session that
// requested the roster (RFC 6121 section 2.1.6).
func (s *Router) push(a *account, bare string) {
	a.rosterVer++
	it := a.roster[bare]
	var el *xmlnode.Element
	if it != nil {
		el = it.element()
	} else {
		el = xmlnode.New(nsRoster, "item", "jid", bare, "subscription", "remove")
	}
	for _, ss := range a.sessions {
		if !ss.interested {
			continue
		}
		s.pushID++
		iq := newIQ("set", "push"+strconv.Itoa(s.pushID))
		q := iq.AddChild(nsRoster, "query", "ver", a.ver())
		q.Append(el.Copy())
		ss.send(iq)
	}
}

// maxRosterText is the "server-configured limit" of RFC 6121 section 2.3.3
// on an item's name and on each group name, in bytes.
const maxRosterText = 1024

// rosterIQ handles jabber:iq:roster get and set from the account's owner.
// A set is checked as RFC 6121 section 2.3.3 requires: exactly one item
// (bad-request), no group twice (bad-request), no empty group and no name
// or group over maxRosterText (not-acceptable). Prosody 0.12 accepts the
// last three (spec/im_roster_errors.scs says so).
func (s *Router) rosterIQ(tx *txn, a *account, st, q *xmlnode.Element) {
	from, _ := jid.Parse(st.Attrib("from"))
	ss := a.session(from.Resourcepart())
	if st.Attrib("type") == "get" {
		if ss != nil {
			ss.interested = true
		}
		r := result(st)
		rq := r.AddChild(nsRoster, "query", "ver", a.ver())
		if v, ok := q.LookupAttr("", "ver"); ok && v == a.ver() {
			// RFC 6121 section 2.6.3: the client's cached roster is current.
			r.Children = nil
		} else {
			for _, it := range a.items() {
				rq.Append(it.element())
			}
		}
		s.reply(tx, r)
		return
	}

	items := q.ChildrenNamed(nsRoster, "item")
	if len(items) != 1 {
		s.bounce(tx, st, stanza.Modify, stanza.BadRequest, "")
		return
	}
	in := items[0]
	cj, err := jid.Parse(in.Attrib("jid"))
	if err != nil || cj.Resourcepart() != "" {
		s.bounce(tx, st, stanza.Modify, stanza.JIDMalformed, "")
		return
	}
	bare := cj.String()
	if in.Attrib("subscription") == "remove" {
		it := a.roster[bare]
		if it == nil {
			s.bounce(tx, st, stanza.Modify, stanza.ItemNotFound, "")
			return
		}
		s.reply(tx, result(st))
		s.removeContact(tx, a, it)
		return
	}
	// Any other subscription value is ignored, not refused: clients
	// cannot set subscription states, and RFC 6121 section 2.1.2.5 says
	// the server MUST ignore them in a roster set (as Prosody does; many
	// clients echo the attribute back when renaming a contact).
	name := in.Attrib("name")
	var groups []string
	if len(name) > maxRosterText {
		s.bounce(tx, st, stanza.Modify, stanza.NotAcceptable, "name too long")
		return
	}
	for _, g := range in.ChildrenNamed(nsRoster, "group") {
		t := g.Text()
		switch {
		case t == "" || len(t) > maxRosterText:
			s.bounce(tx, st, stanza.Modify, stanza.NotAcceptable, "empty or too long group name")
			return
		case slices.Contains(groups, t):
			s.bounce(tx, st, stanza.Modify, stanza.BadRequest, "duplicate group")
			return
		}
		groups = append(groups, t)
	}
	it := a.item(bare, true)
	it.name = name
	it.groups = groups
	s.reply(tx, result(st))
	s.push(a, bare)
}

// removeContact deletes a roster item with the presence side effects of RFC
// 6121 section 2.5.2 and Prosody (issue 1121): the contact gets
// unsubscribed, then unavailable from each of our available resources (the
// order of an explicit cancellation, section 3.2.2, and Prosody's), then
// unsubscribe, each as appropriate.
func (s *Router) removeContact(tx *txn, a *account, it *rosterItem) {
	bare := it.jid
	cj, _ := jid.Parse(bare)
	us := s.bareJID(a.name).String()
	_, pending := a.pendingIn[bare]
	hadFrom, hadTo, ask := it.subFrom, it.subTo, it.ask

	a.removeItem(bare)
	a.dropPendingIn(bare)
	s.push(a, bare)

	if hadFrom || pending {
		p := xmlnode.New(nsClient, "presence", "type", "unsubscribed", "from", us, "to", bare)
		s.routePresence(tx, p, cj)
	}
	if hadFrom {
		for _, ss := range a.sessions {
			if ss.available() {
				un := xmlnode.New(nsClient, "presence", "type", "unavailable", "from", ss.full.String(), "to", bare)
				s.routePresence(tx, un, cj)
			}
		}
	}
	if hadTo || ask {
		p := xmlnode.New(nsClient, "presence", "type", "unsubscribe", "from", us, "to", bare)
		s.routePresence(tx, p, cj)
	}
}

// isSubscriber reports whether bare may see a's presence.
func (s *Router) isSubscriber(a *account, bare jid.JID) bool {
	it := a.roster[bare.String()]
	return it != nil && it.subFrom
}
