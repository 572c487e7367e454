// Package roster is the roster and presence subscriptions of RFC 6121
// (sections 2 and 3) as Prosody 0.12 applies them: roster get and set with
// versioning (section 2.6, offered as the rosterver stream feature),
// pushes to the sessions that fetched the roster, the subscription state
// machine on the user's and the contact's side, pre-approval (section
// 3.4), subscription requests kept for delivery on initial presence, and
// the probes initial presence sends, and the contact's server side of
// XEP-0283 (moved.go: a request from a contact's new account, backed by
// the old account's statement, is approved for the user). It is the
// router's module.Contacts: the router asks it whom a presence broadcast
// goes to.
package roster

import (
	"encoding/xml"
	"slices"
	"strconv"

	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/muctest/muctest/c2sapi"
	"github.com/muctest/muctest/jidcheck"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/quota"
	"github.com/muctest/muctest/stanzaerr"
	"github.com/muctest/muctest/xmlnode"
)

// Namespaces of RFC 6121.
const (
	NS       = "jabber:iq:roster"
	NSVer    = "urn:xmpp:features:rosterver"
	nsRoster = NS
	nsClient = "jabber:client"
)

// roster is an account's roster and its pending inbound subscription
// requests (with the full stanza: RFC 6121 section 3.1.3 says the server
// must keep it).
type roster struct {
	items        map[string]*rosterItem // by contact bare JID
	order        []string               // contacts in insertion order
	version      int
	pendingIn    map[string]*xmlnode.Element
	pendingOrder []string
	pendingBytes int // wire bytes of pendingIn, with pendingCost each
	// subs are the parsed JIDs of the items with subFrom, in roster
	// order, made on first use after a change (subsChanged): every
	// presence broadcast asks for them (EachSubscriber), and walking the
	// items by their map was most of its span (issue 11).
	subs   []jid.JID
	subsOK bool
}

// subsChanged forgets subs after a change of the items or of who is
// subscribed.
func (ro *roster) subsChanged() { ro.subs, ro.subsOK = nil, false }

// Size implements module.Sizer: an estimate of what the roster holds.
// It walks the items (at most Limits.RosterItems) but encodes nothing.
func (ro *roster) Size() int {
	n := ro.pendingBytes
	for _, it := range ro.items {
		n += it.cost()
	}
	return n
}

// cost is what an item counts for in Size: about its wire form.
func (it *rosterItem) cost() int {
	n := 64 + 2*len(it.jid) + len(it.name)
	for _, g := range it.groups {
		n += 16 + len(g)
	}
	return n
}

// pendingCost is what a kept subscription request counts for.
func pendingCost(st *xmlnode.Element) int { return 32 + len(st.AppendTo(nil, nsClient)) }

// interest marks a session that requested the roster: it gets roster
// pushes and subscription state changes (RFC 6121 section 2.1.6).
// holding: the session's roster result is built after the lock (get.go),
// and what it would be sent meanwhile waits in held, so that it follows
// the result.
type interest struct {
	on, holding bool
	held        []*xmlnode.Element
}

var (
	rosters  = module.NewAccountState[roster]("roster")
	sessions = module.NewSessionState[interest]("roster.interested")
)

func interested(s module.Session) bool {
	i := sessions.Get(s)
	return i != nil && i.on
}

// Module serves rosters and subscriptions. Limits (quota.Limits, defaults
// when zero) bound a roster's items (RosterItems), the subscription
// requests kept for it (RosterPending) and the account's total
// (AccountBytes); past them a roster set or a subscription stanza that
// would add an item is refused resource-constraint (wait), an inbound
// subscription request is bounced the same way, and nothing stored
// changes. A roster get is thus bounded too.
type Module struct{ Limits quota.Limits }

// Name implements module.Module.
func (Module) Name() string { return "roster" }

// mod is one server's roster module: its push ids.
type mod struct {
	pushID int
	lim    quota.Limits
	// pendingTotal is every roster's pendingBytes together.
	pendingTotal int
	// movedChecks counts the XEP-0283 statement checks under way (moved.go).
	movedChecks int
}

// Register implements module.Module.
func (mo Module) Register(r *module.Registrar) error {
	m := &mod{lim: mo.Limits.WithDefaults()}
	r.IQ(module.IQ{To: module.ToSelf, Type: module.Get | module.Set, Payload: xmlName("query"), Disco: module.OnServer, Handle: m.rosterIQ})
	r.StreamFeature(module.StreamFeature{Offer: func(c2sapi.Session) *xmlnode.Element { return xmlnode.New(NSVer, "ver") }})
	r.Contacts(m)
	r.OnInitialPresence(module.Filter, m.probe)
	r.OnInitialPresence(module.After, m.pending)
	r.OnAccountRemoved(module.After, m.removed)
	r.OnPresenceDelivered(module.Rewrite, m.moved)
	return nil
}

// probe sends initial presence's probes to the contacts the user is
// subscribed to (RFC 6121 section 4.2.2), answered locally at once:
// probeChunk of them in this span, the rest probeChunk per span of its
// own (module.Context.Later), which the router runs before what follows
// the hook (the user's other resources' presence, offline messages), so
// that the order is the one a single span gives (issue 11: each probe is
// answered with the contact's presence, whose delivery runs the user's
// hooks, and a thousand held the lock for milliseconds).
func (m *mod) probe(c module.Context, s module.Session) {
	ro := rosters.Get(s.Account())
	if ro == nil {
		return
	}
	var to []string
	for _, it := range ro.itemList() {
		if it.subTo {
			to = append(to, it.jid)
		}
	}
	probeLater(c, s, s.JID().String(), to)
}

// probeChunk bounds the probes one span routes: each costs a few
// microseconds with the contact's answer and its hooks;
// probeDeliveries bounds what their answers write to sessions (a
// contact with a hundred resources answers with a hundred presences),
// checked after each probe (module.Deliveries).
const (
	probeChunk      = 32
	probeDeliveries = 64
)

// probeLater routes the first probes from "from" to the bare JIDs in to
// (probeChunk, or fewer for answers of probeDeliveries), and leaves the
// rest for another span, unless s has gone meanwhile.
func probeLater(c module.Context, s module.Session, from string, to []string) {
	start, n := module.Deliveries(c), 0
	for n < len(to) && n < probeChunk && module.Deliveries(c)-start < probeDeliveries {
		c.Route(xmlnode.New(nsClient, "presence", "type", "probe", "from", from, "to", to[n]))
		n++
	}
	if rest := to[n:]; len(rest) > 0 {
		c.Later(func(c module.Context) {
			if s.Account().Session(s.JID().Resourcepart()) == s { // not unbound since
				probeLater(c, s, from, rest)
			}
		})
	}
}

// pending sends the subscription requests received while offline (RFC
// 6121 section 3.1.3).
func (m *mod) pending(_ module.Context, s module.Session) {
	ro := rosters.Get(s.Account())
	if ro == nil {
		return
	}
	for _, from := range ro.pendingOrder {
		s.Send(ro.pendingIn[from].Copy())
	}
}

// EachSubscriber implements module.Contacts.
func (m *mod) EachSubscriber(a module.Account, fn func(jid.JID)) {
	ro := rosters.Get(a)
	if ro == nil {
		return
	}
	if !ro.subsOK {
		for _, it := range ro.itemList() {
			if it.subFrom {
				if j, ok := it.parsedJID(); ok {
					ro.subs = append(ro.subs, j)
				}
			}
		}
		ro.subsOK = true
	}
	for _, j := range ro.subs {
		fn(j)
	}
}

// IsSubscriber implements module.Contacts.
func (m *mod) IsSubscriber(a module.Account, bare jid.JID) bool {
	ro := rosters.Get(a)
	if ro == nil {
		return false
	}
	it := ro.items[bare.String()]
	return it != nil && it.subFrom
}

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
	// parsed is jid parsed, once (EachSubscriber, for every presence
	// broadcast); counted in cost as the second len(jid).
	parsed   jid.JID
	isParsed bool
}

// parsedJID returns the item's JID parsed, parsing it on first use.
func (it *rosterItem) parsedJID() (jid.JID, bool) {
	if !it.isParsed {
		j, err := jid.Parse(it.jid)
		if err != nil {
			return jid.JID{}, false
		}
		it.parsed, it.isParsed = j, true
	}
	return it.parsed, true
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
func (ro *roster) item(bare string, create bool) *rosterItem {
	if it := ro.items[bare]; it != nil || !create {
		return it
	}
	it := &rosterItem{jid: bare}
	if ro.items == nil {
		ro.items = map[string]*rosterItem{}
	}
	ro.items[bare] = it
	ro.order = append(ro.order, bare)
	return it
}
func (ro *roster) removeItem(bare string) {
	ro.subsChanged()
	delete(ro.items, bare)
	ro.order = slices.DeleteFunc(ro.order, func(j string) bool { return j == bare })
}

// items returns the roster in insertion order.
func (ro *roster) itemList() []*rosterItem {
	out := make([]*rosterItem, 0, len(ro.order))
	for _, j := range ro.order {
		out = append(out, ro.items[j])
	}
	return out
}

// ver is the roster version a get or push reports: Prosody's, which
// reports "1" for a roster never saved, and counts every save (pushes and
// stored inbound requests alike).
func (ro *roster) ver() string { return strconv.Itoa(max(ro.version, 1)) }

// push bumps the roster version and sends a roster push for bare (its
// current item, or subscription='remove' when gone) to every session that
// requested the roster (RFC 6121 section 2.1.6).
func (m *mod) push(a module.Account, bare string) {
	ro := rosters.Use(a)
	ro.version++
	it := ro.items[bare]
	var el *xmlnode.Element
	if it != nil {
		el = it.element()
	} else {
		el = xmlnode.New(nsRoster, "item", "jid", bare, "subscription", "remove")
	}
	for ss := range a.Sessions() {
		if !interested(ss) {
			continue
		}
		m.pushID++
		iq := xmlnode.New(nsClient, "iq", "type", "set", "id", "push"+strconv.Itoa(m.pushID))
		q := iq.AddChild(nsRoster, "query", "ver", ro.ver())
		q.Append(el.Copy())
		sendOrHold(ss, iq)
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
func (m *mod) rosterIQ(req *module.Request) {
	c, a, st, q := req.Context, req.Account, req.Stanza, req.Payload
	ro := rosters.Use(a)
	if st.Attrib("type") == "get" {
		if req.Session != nil {
			sessions.Use(req.Session).on = true
		}
		r := req.Result()
		if v, ok := q.LookupAttr("", "ver"); ok && v == ro.ver() {
			// RFC 6121 section 2.6.3: the client's cached roster is current.
			c.Route(r)
			return
		}
		if req.Session != nil && len(ro.order) > laterRosterItems {
			getLater(req, ro, r)
			return
		}
		rq := r.AddChild(nsRoster, "query", "ver", ro.ver())
		for _, it := range ro.itemList() {
			rq.Append(it.element())
		}
		c.Route(r)
		return
	}

	items := q.ChildrenNamed(nsRoster, "item")
	if len(items) != 1 {
		c.Bounce(st, stanza.Modify, stanza.BadRequest, "")
		return
	}
	in := items[0]
	cj, err := jidcheck.Parse(in.Attrib("jid"))
	if err != nil || cj.Resourcepart() != "" {
		c.Bounce(st, stanza.Modify, stanza.JIDMalformed, "")
		return
	}
	bare := cj.String()
	if in.Attrib("subscription") == "remove" {
		it := ro.items[bare]
		if it == nil {
			c.Bounce(st, stanza.Modify, stanza.ItemNotFound, "")
			return
		}
		c.Route(req.Result())
		m.removeContact(c, a, it)
		return
	}
	// Any other subscription value is ignored, not refused: clients
	// cannot set subscription states, and RFC 6121 section 2.1.2.5 says
	// the server MUST ignore them in a roster set (as Prosody does; many
	// clients echo the attribute back when renaming a contact).
	name := in.Attrib("name")
	var groups []string
	if len(name) > maxRosterText {
		c.Bounce(st, stanza.Modify, stanza.NotAcceptable, "name too long")
		return
	}
	for _, g := range in.ChildrenNamed(nsRoster, "group") {
		t := g.Text()
		switch {
		case t == "" || len(t) > maxRosterText:
			c.Bounce(st, stanza.Modify, stanza.NotAcceptable, "empty or too long group name")
			return
		case slices.Contains(groups, t):
			c.Bounce(st, stanza.Modify, stanza.BadRequest, "duplicate group")
			return
		}
		groups = append(groups, t)
	}
	it := ro.items[bare]
	grow := (&rosterItem{jid: bare, name: name, groups: groups}).cost()
	if it != nil {
		grow -= it.cost()
	}
	if (it == nil && !quota.Within(m.lim.RosterItems, len(ro.items), 1)) || !quota.Budget(a, m.lim.AccountBytes, grow) {
		c.Bounce(st, quota.FullType, quota.Full, "Roster is full")
		return
	}
	it = ro.item(bare, true)
	it.name = name
	it.groups = groups
	c.Route(req.Result())
	m.push(a, bare)
}

// removeContact deletes a roster item with the presence side effects of RFC
// 6121 section 2.5.2 and Prosody (issue 1121): the contact gets
// unsubscribed, then unavailable from each of our available resources (the
// order of an explicit cancellation, section 3.2.2, and Prosody's), then
// unsubscribe, each as appropriate.
func (m *mod) removeContact(c module.Context, a module.Account, it *rosterItem) {
	ro := rosters.Use(a)
	bare := it.jid
	us := a.JID().String()
	_, pending := ro.pendingIn[bare]
	hadFrom, hadTo, ask := it.subFrom, it.subTo, it.ask

	ro.removeItem(bare)
	m.dropPendingIn(ro, bare)
	m.push(a, bare)

	if hadFrom || pending {
		p := xmlnode.New(nsClient, "presence", "type", "unsubscribed", "from", us, "to", bare)
		c.Route(p)
	}
	if hadFrom {
		for ss := range a.Sessions() {
			if ss.Available() {
				un := xmlnode.New(nsClient, "presence", "type", "unavailable", "from", ss.JID().String(), "to", bare)
				c.Route(un)
			}
		}
	}
	if hadTo || ask {
		p := xmlnode.New(nsClient, "presence", "type", "unsubscribe", "from", us, "to", bare)
		c.Route(p)
	}
}

// outboundSubscription applies a subscription stanza a's user sent to
// contact (RFC 6121 section 3, user's server side), then routes it.
func (m *mod) Outbound(c module.Context, a module.Account, st *xmlnode.Element, contact jid.JID) {
	ro := rosters.Use(a)
	typ := st.Attrib("type")
	cb := contact.String()
	switch typ {
	case "subscribe":
		if !m.mayAdd(c, a, ro, cb, st) {
			return
		}
		it := ro.item(cb, true)
		if !it.ask && !it.subTo {
			it.ask = true
			m.push(a, cb)
		}
		c.Route(st)
	case "unsubscribe":
		if it := ro.items[cb]; it != nil && (it.subTo || it.ask) {
			it.ask = false
			it.subTo = false
			m.push(a, cb)
		}
		c.Route(st)
	case "subscribed":
		if !m.mayAdd(c, a, ro, cb, st) {
			return
		}
		changed := false
		it := ro.items[cb]
		if _, pending := ro.pendingIn[cb]; pending {
			it = ro.item(cb, true)
			it.subFrom = true
			ro.subsChanged()
			it.approved = false
			m.dropPendingIn(ro, cb)
			changed = true
		} else if it == nil || !it.subFrom {
			// Pre-approval (RFC 6121 section 3.4): remembered, not sent.
			it = ro.item(cb, true)
			if !it.approved {
				it.approved = true
				changed = true
			}
		}
		if changed {
			m.push(a, cb)
		}
		if it.subFrom {
			c.Route(st)
			c.SendPresenceOf(a, contact, nil)
		}
		if it.subTo {
			probe := xmlnode.New(nsClient, "presence", "type", "probe", "from", st.Attrib("from"), "to", cb)
			c.Route(probe)
		}
	case "unsubscribed":
		it := ro.items[cb]
		_, pending := ro.pendingIn[cb]
		m.dropPendingIn(ro, cb)
		wasFrom := false
		if it != nil {
			wasFrom = it.subFrom
			it.subFrom = false
			ro.subsChanged()
			if it.approved {
				it.approved = false
				if !wasFrom {
					m.push(a, cb)
				}
			}
		}
		if wasFrom {
			m.push(a, cb)
		}
		if wasFrom || pending {
			c.Route(st)
		}
		if wasFrom {
			c.SendPresenceOf(a, contact, xmlnode.New(nsClient, "presence", "type", "unavailable"))
		}
	}
}

// inboundSubscription applies a subscription stanza from the bare JID from
// to account a (RFC 6121 section 3, contact's server side).
func (m *mod) Inbound(c module.Context, a module.Account, st *xmlnode.Element, from jid.JID) {
	ro := rosters.Use(a)
	typ := st.Attrib("type")
	fb := from.String()
	us := a.JID().String()
	it := ro.items[fb]
	switch typ {
	case "subscribe":
		switch {
		case it != nil && it.subFrom:
			// Already subscribed: answer for the user (RFC 6121 3.1.3).
			p := xmlnode.New(nsClient, "presence", "type", "subscribed", "from", us, "to", fb)
			c.Route(p)
			if c.SendPresenceOf(a, from, nil) == 0 {
				p := xmlnode.New(nsClient, "presence", "type", "unavailable", "from", us, "to", fb)
				c.Route(p)
			}
		case it != nil && it.approved:
			it.approved = false
			it.subFrom = true
			ro.subsChanged()
			m.push(a, fb)
			p := xmlnode.New(nsClient, "presence", "type", "subscribed", "from", us, "to", fb)
			c.Route(p)
			c.SendPresenceOf(a, from, nil)
		default:
			// Prosody acknowledges receipt with an unavailable presence.
			p := xmlnode.New(nsClient, "presence", "type", "unavailable", "from", us, "to", fb)
			c.Route(p)
			if _, pending := ro.pendingIn[fb]; !pending {
				// Kept serialised: only sent again as it is, and a
				// tree costs up to 24 times its wire bytes, what the
				// quotas count.
				kept := st.Sealed()
				cost := pendingCost(kept)
				if !quota.Within(m.lim.RosterPending, len(ro.pendingIn), 1) ||
					!quota.Within(m.lim.PendingTotalBytes, m.pendingTotal, cost) || !quota.Budget(a, m.lim.AccountBytes, cost) {
					c.Bounce(st, quota.FullType, quota.Full, "Too many pending subscription requests")
					return
				}
				if ro.pendingIn == nil {
					ro.pendingIn = map[string]*xmlnode.Element{}
				}
				ro.pendingIn[fb] = kept
				ro.pendingBytes += cost
				m.pendingTotal += cost
				ro.pendingOrder = append(ro.pendingOrder, fb)
				ro.version++ // a stored request is a roster save in Prosody
				for ss := range a.Sessions() {
					if ss.Available() {
						ss.Send(st)
					}
				}
			}
		}
	case "subscribed":
		if it == nil || !it.ask {
			return
		}
		it.ask = false
		it.subTo = true
		m.sendInterested(a, st)
		m.push(a, fb)
	case "unsubscribe":
		changed := false
		if _, pending := ro.pendingIn[fb]; pending {
			m.dropPendingIn(ro, fb)
			changed = true
		}
		if it != nil && it.subFrom {
			it.subFrom = false
			ro.subsChanged()
			changed = true
		}
		if changed {
			m.sendInterested(a, st)
			if it != nil {
				m.push(a, fb)
			}
		}
	case "unsubscribed":
		if it == nil || !(it.subTo || it.ask) {
			return
		}
		it.ask = false
		it.subTo = false
		m.sendInterested(a, st)
		m.push(a, fb)
	}
}

// sendInterested delivers st to the sessions that requested the roster, as
// Prosody's send_to_interested_resources does: a client that never fetched
// its roster does not see subscription state changes.
func (m *mod) sendInterested(a module.Account, st *xmlnode.Element) {
	for ss := range a.Sessions() {
		if interested(ss) {
			if i := sessions.Get(ss); i.holding {
				st = st.Copy() // st is not kept by Send: the held one is ours
			}
			sendOrHold(ss, st)
		}
	}
}
func (m *mod) dropPendingIn(ro *roster, bare string) {
	if _, ok := ro.pendingIn[bare]; !ok {
		return
	}
	cost := pendingCost(ro.pendingIn[bare])
	ro.pendingBytes -= cost
	m.pendingTotal -= cost
	delete(ro.pendingIn, bare)
	ro.pendingOrder = slices.DeleteFunc(ro.pendingOrder, func(j string) bool { return j == bare })
}

func xmlName(local string) xml.Name { return xml.Name{Space: NS, Local: local} }

// mayAdd reports whether a subscription stanza st of a's user may go on:
// it would make a new roster item for contact, so the roster must have
// room; otherwise st is bounced resource-constraint (wait).
func (m *mod) mayAdd(c module.Context, a module.Account, ro *roster, contact string, st *xmlnode.Element) bool {
	if ro.items[contact] != nil {
		return true
	}
	if quota.Within(m.lim.RosterItems, len(ro.items), 1) && quota.Budget(a, m.lim.AccountBytes, (&rosterItem{jid: contact}).cost()) {
		return true
	}
	// To the account's sessions: the router has already stamped the bare
	// JID as "from" (RFC 6121 section 3.1.2), and a presence error routed
	// to it would reach no session that has not sent initial presence.
	e := stanzaerr.Reply(st, string(quota.FullType), string(quota.Full), "Roster is full", "")
	for ss := range a.Sessions() {
		ss.Send(e)
	}
	return false
}
