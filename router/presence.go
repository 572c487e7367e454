package router

import (
	"slices"
	"time"

	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/muctest/muctest/c2s"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/xmlnode"
)

const nsClient = c2s.NSClient

// presenceFromClient handles presence a session sent: broadcast (no "to"),
// directed presence, subscription management and probes (RFC 6121 sections
// 3 and 4).
func (s *Router) presenceFromClient(tx *txn, ss *session, st *xmlnode.Element, to jid.JID) {
	typ := st.Attrib("type")
	switch typ {
	case "", "unavailable":
		ev := module.Sent{Session: ss, Stanza: st, To: to}
		if s.runSent(tx, module.PresenceSent, true, &ev) {
			return
		}
		if to.Domainpart() == "" {
			s.broadcastPresence(tx, ss, st, true)
		} else {
			if typ == "" {
				addVCardUpdate(st)
				ss.addDirected(to.String())
			} else {
				ss.removeDirected(to.String())
			}
			s.routePresence(tx, st, to)
		}
		s.runSent(tx, module.PresenceSent, false, &ev)
	case "subscribe", "subscribed", "unsubscribe", "unsubscribed":
		if to.Domainpart() == "" {
			return
		}
		to = to.Bare()
		st.SetAttr("to", to.String())
		st.SetAttr("from", ss.full.Bare().String())
		if h := s.componentOf(to); h != nil {
			tx.addComponent(h, st)
			return
		}
		if s.remote(to) || to.Localpart() == "" {
			return
		}
		s.outboundSubscription(tx, ss.acct, st, typ, to)
	case "probe":
		switch {
		case s.isComponent(to):
			// XEP-0045: a room answers probes for its occupants.
			tx.addComponent(s.componentOf(to), st)
		case to.Domainpart() == s.domain && to.Localpart() != "":
			st.SetAttr("to", to.Bare().String())
			s.routePresence(tx, st, to.Bare())
		}
	case "error":
		if to.Domainpart() != "" {
			s.routePresence(tx, st, to)
		}
	default:
		r := errorReply(st, stanza.Modify, stanza.BadRequest, "Invalid presence type")
		ss.send(r)
	}
}

// addVCardUpdate adds the XEP-0153 <x xmlns='vcard-temp:x:update'><photo/>
// to available presence when the client did not, as Prosody's
// mod_vcard_legacy does (MUC scripts expect it on room presence).
func addVCardUpdate(st *xmlnode.Element) {
	if st.Child(nsVCardUpdate, "x") == nil {
		st.AddChild(nsVCardUpdate, "x").AddChild(nsVCardUpdate, "photo")
	}
}

// routePresence sends presence to "to": the MUC service, a local user, or
// nowhere (remote domains).
func (s *Router) routePresence(tx *txn, st *xmlnode.Element, to jid.JID) {
	switch {
	case s.isComponent(to):
		tx.addComponent(s.componentOf(to), st)
	case to.Domainpart() == s.domain:
		s.deliverPresence(tx, st, to)
	}
}

// deliverPresence handles presence arriving for a local JID (RFC 6121
// section 8.5 for presence, 3.1.3 and following for subscriptions).
func (s *Router) deliverPresence(tx *txn, st *xmlnode.Element, to jid.JID) {
	if to.Localpart() == "" || s.blockedInbound(tx, st, to) {
		return
	}
	acct := s.accountLocked(to.Localpart())
	if acct == nil {
		return
	}
	ev := module.Delivered{Stanza: st, To: to, Account: acct}
	if s.runDelivered(tx, module.PresenceDelivered, true, &ev) {
		return
	}
	typ := st.Attrib("type")
	switch typ {
	case "probe":
		s.inboundProbe(tx, acct, st)
		return
	case "subscribe", "subscribed", "unsubscribe", "unsubscribed":
		from, err := jid.Parse(st.Attrib("from"))
		if err != nil {
			return
		}
		s.inboundSubscription(tx, acct, st, typ, from.Bare())
		return
	}
	if res := to.Resourcepart(); res != "" {
		if ss := acct.session(res); ss != nil {
			if typ == "error" {
				// A rejected directed presence (e.g. a failed MUC join):
				// the target needs no unavailable later.
				ss.removeDirected(st.Attrib("from"))
			}
			ss.send(st)
			ev.Sessions = []module.Session{ss}
		}
	} else {
		for _, ss := range acct.sessions {
			if ss.available() {
				ss.send(st)
				ev.Sessions = append(ev.Sessions, ss)
			}
		}
	}
	s.runDelivered(tx, module.PresenceDelivered, false, &ev)
}

// broadcastPresence handles presence without "to" from ss: to the user's
// other resources, to contacts subscribed to it, back to ss (reflect), and
// for initial presence the probes, pending subscription requests and
// offline messages. Unavailable presence also goes to every directed
// presence target.
func (s *Router) broadcastPresence(tx *txn, ss *session, st *xmlnode.Element, reflect bool) {
	a := ss.acct
	avail := st.Attrib("type") == ""
	if avail {
		addVCardUpdate(st)
	}
	st.RemoveAttr("to")
	if avail || ss.available() {
		for _, o := range a.sessions {
			if o != ss && o.available() {
				c := st.Copy()
				c.SetAttr("to", o.full.String())
				o.send(c)
			}
		}
		for _, it := range a.items() {
			if it.subFrom {
				c := st.Copy()
				c.SetAttr("to", it.jid)
				cj, _ := jid.Parse(it.jid)
				s.routePresence(tx, c, cj)
			}
		}
	}
	if reflect {
		ss.send(st)
	}
	if !avail {
		for _, d := range ss.directed {
			dj, err := jid.Parse(d)
			if err != nil {
				continue
			}
			if it := a.roster[d]; it != nil && it.subFrom && ss.available() {
				continue // already told through the roster
			}
			c := st.Copy()
			c.SetAttr("to", d)
			s.routePresence(tx, c, dj)
		}
		ss.directed = nil
		ss.presence, ss.priority = nil, 0
		a.lastGone, a.lastStatus = time.Now(), st.ChildText(nsClient, "status")
		return
	}

	initial := !ss.available()
	ss.presence = st.Copy()
	ss.priority = parsePriority(st)
	if !initial {
		return
	}
	// Probe the contacts we are subscribed to (answered locally).
	for _, it := range a.items() {
		if it.subTo {
			cj, _ := jid.Parse(it.jid)
			probe := xmlnode.New(nsClient, "presence", "type", "probe", "from", ss.full.String(), "to", it.jid)
			s.routePresence(tx, probe, cj)
		}
	}
	s.runSession(tx, module.InitialPresence, true, ss)
	// The presence of our other available resources.
	for _, o := range a.sessions {
		if o != ss && o.available() {
			c := o.presence.Copy()
			c.SetAttr("to", ss.full.String())
			ss.send(c)
		}
	}
	// Subscription requests received while offline (RFC 6121 3.1.3).
	for _, from := range a.pendingInOrder {
		ss.send(a.pendingIn[from].Copy())
	}
	// Offline messages (XEP-0160), not to negative-priority resources.
	if ss.priority >= 0 {
		for _, m := range a.offline {
			ss.send(m)
		}
		a.offline = nil
	}
	s.runSession(tx, module.InitialPresence, false, ss)
}

// sendAvailable sends the presence of every available resource of a to
// "to" (a bare or full JID), or pres (e.g. unavailable) from each of them
// when pres is not nil. It returns how many resources were available.
func (s *Router) sendAvailable(tx *txn, a *account, to jid.JID, pres *xmlnode.Element) int {
	n := 0
	for _, o := range a.sessions {
		if !o.available() {
			continue
		}
		n++
		var c *xmlnode.Element
		if pres != nil {
			c = pres.Copy()
		} else {
			c = o.presence.Copy()
		}
		c.SetAttr("from", o.full.String())
		c.SetAttr("to", to.String())
		s.routePresence(tx, c, to)
	}
	return n
}

// inboundProbe answers a presence probe for account a (RFC 6121 4.3.2):
// the presence of each available resource if the prober is subscribed, an
// unavailable from the bare JID if none is available, unsubscribed if the
// prober is not subscribed (as Prosody does).
func (s *Router) inboundProbe(tx *txn, a *account, st *xmlnode.Element) {
	from, err := jid.Parse(st.Attrib("from"))
	if err != nil {
		return
	}
	us := s.bareJID(a.name)
	it := a.roster[from.Bare().String()]
	if it == nil || !it.subFrom {
		p := xmlnode.New(nsClient, "presence", "type", "unsubscribed", "from", us.String(), "to", from.Bare().String())
		s.routePresence(tx, p, from.Bare())
		return
	}
	if s.sendAvailable(tx, a, from, nil) == 0 {
		p := xmlnode.New(nsClient, "presence", "type", "unavailable", "from", us.String(), "to", from.String())
		s.routePresence(tx, p, from)
	}
}

// outboundSubscription applies a subscription stanza a's user sent to
// contact (RFC 6121 section 3, user's server side), then routes it.
func (s *Router) outboundSubscription(tx *txn, a *account, st *xmlnode.Element, typ string, contact jid.JID) {
	cb := contact.String()
	switch typ {
	case "subscribe":
		it := a.item(cb, true)
		if !it.ask && !it.subTo {
			it.ask = true
			s.push(a, cb)
		}
		s.routePresence(tx, st, contact)
	case "unsubscribe":
		if it := a.roster[cb]; it != nil && (it.subTo || it.ask) {
			it.ask = false
			it.subTo = false
			s.push(a, cb)
		}
		s.routePresence(tx, st, contact)
	case "subscribed":
		changed := false
		it := a.roster[cb]
		if _, pending := a.pendingIn[cb]; pending {
			it = a.item(cb, true)
			it.subFrom = true
			it.approved = false
			a.dropPendingIn(cb)
			changed = true
		} else if it == nil || !it.subFrom {
			// Pre-approval (RFC 6121 section 3.4): remembered, not sent.
			it = a.item(cb, true)
			if !it.approved {
				it.approved = true
				changed = true
			}
		}
		if changed {
			s.push(a, cb)
		}
		if it.subFrom {
			s.routePresence(tx, st, contact)
			s.sendAvailable(tx, a, contact, nil)
		}
		if it.subTo {
			probe := xmlnode.New(nsClient, "presence", "type", "probe", "from", st.Attrib("from"), "to", cb)
			s.routePresence(tx, probe, contact)
		}
	case "unsubscribed":
		it := a.roster[cb]
		_, pending := a.pendingIn[cb]
		a.dropPendingIn(cb)
		wasFrom := false
		if it != nil {
			wasFrom = it.subFrom
			it.subFrom = false
			if it.approved {
				it.approved = false
				if !wasFrom {
					s.push(a, cb)
				}
			}
		}
		if wasFrom {
			s.push(a, cb)
		}
		if wasFrom || pending {
			s.routePresence(tx, st, contact)
		}
		if wasFrom {
			s.sendAvailable(tx, a, contact, xmlnode.New(nsClient, "presence", "type", "unavailable"))
		}
	}
}

// inboundSubscription applies a subscription stanza from the bare JID from
// to account a (RFC 6121 section 3, contact's server side).
func (s *Router) inboundSubscription(tx *txn, a *account, st *xmlnode.Element, typ string, from jid.JID) {
	fb := from.String()
	us := s.bareJID(a.name).String()
	it := a.roster[fb]
	switch typ {
	case "subscribe":
		switch {
		case it != nil && it.subFrom:
			// Already subscribed: answer for the user (RFC 6121 3.1.3).
			p := xmlnode.New(nsClient, "presence", "type", "subscribed", "from", us, "to", fb)
			s.routePresence(tx, p, from)
			if s.sendAvailable(tx, a, from, nil) == 0 {
				p := xmlnode.New(nsClient, "presence", "type", "unavailable", "from", us, "to", fb)
				s.routePresence(tx, p, from)
			}
		case it != nil && it.approved:
			it.approved = false
			it.subFrom = true
			s.push(a, fb)
			p := xmlnode.New(nsClient, "presence", "type", "subscribed", "from", us, "to", fb)
			s.routePresence(tx, p, from)
			s.sendAvailable(tx, a, from, nil)
		default:
			// Prosody acknowledges receipt with an unavailable presence.
			p := xmlnode.New(nsClient, "presence", "type", "unavailable", "from", us, "to", fb)
			s.routePresence(tx, p, from)
			if _, pending := a.pendingIn[fb]; !pending {
				if a.pendingIn == nil {
					a.pendingIn = map[string]*xmlnode.Element{}
				}
				a.pendingIn[fb] = st.Copy()
				a.pendingInOrder = append(a.pendingInOrder, fb)
				for _, ss := range a.sessions {
					if ss.available() {
						ss.send(st)
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
		s.sendInterested(a, st)
		s.push(a, fb)
	case "unsubscribe":
		changed := false
		if _, pending := a.pendingIn[fb]; pending {
			a.dropPendingIn(fb)
			changed = true
		}
		if it != nil && it.subFrom {
			it.subFrom = false
			changed = true
		}
		if changed {
			s.sendInterested(a, st)
			if it != nil {
				s.push(a, fb)
			}
		}
	case "unsubscribed":
		if it == nil || !(it.subTo || it.ask) {
			return
		}
		it.ask = false
		it.subTo = false
		s.sendInterested(a, st)
		s.push(a, fb)
	}
}

// sendInterested delivers st to the sessions that requested the roster, as
// Prosody's send_to_interested_resources does: a client that never fetched
// its roster does not see subscription state changes.
func (s *Router) sendInterested(a *account, st *xmlnode.Element) {
	for _, ss := range a.sessions {
		if ss.interested {
			ss.send(st)
		}
	}
}

func (a *account) dropPendingIn(bare string) {
	if _, ok := a.pendingIn[bare]; !ok {
		return
	}
	delete(a.pendingIn, bare)
	a.pendingInOrder = slices.DeleteFunc(a.pendingInOrder, func(j string) bool { return j == bare })
}
