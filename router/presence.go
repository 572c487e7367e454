package router

import (
	"time"

	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/muctest/muctest/jidcheck"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/xmlnode"
)

const nsClient = stanza.NSClient

// presenceFromClient handles presence a session sent: broadcast (no "to"),
// directed presence, subscription management and probes (RFC 6121 sections
// 3 and 4).
func (s *Router) presenceFromClient(tx *txn, ss *session, st *xmlnode.Element, to jid.JID) {
	ev := module.Sent{Session: ss, Stanza: st, To: to}
	if s.runSent(tx, module.PresenceSent, true, &ev) {
		return
	}
	typ := st.Attrib("type")
	switch typ {
	case "", "unavailable":
		if to.Domainpart() == "" {
			// The after-hooks run when the broadcast has reached every
			// contact, which may be spans later (broadcast.go).
			after := &ev
			s.broadcastPresence(tx, ss, st, true, func(tx *txn) { s.runSent(tx, module.PresenceSent, false, after) })
			return
		}
		if typ == "" {
			if !ss.addDirected(to.String()) {
				ss.send(errorReply(st, stanza.Wait, stanza.ResourceConstraint, "Too many directed presences"))
				return
			}
		} else {
			ss.removeDirected(to.String())
		}
		s.routePresence(tx, st, to)
	case "subscribe", "subscribed", "unsubscribe", "unsubscribed":
		if to.Domainpart() == "" {
			return
		}
		to = to.Bare()
		st.SetAttr("to", to.String())
		st.SetAttr("from", ss.full.Bare().String())
		if h := s.componentOf(to); h != nil {
			tx.addComponent(h, st)
			break
		}
		if s.remote(to) || to.Localpart() == "" || s.contacts == nil {
			return
		}
		s.contacts.Outbound(tx, ss.acct, st, to)
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
		return
	}
	s.runSent(tx, module.PresenceSent, false, &ev)
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
	if to.Localpart() == "" {
		return
	}
	acct := s.accountLocked(to.Localpart())
	if acct == nil {
		return
	}
	// The event and room for its sessions in one allocation: a broadcast
	// delivers once per contact with the lock held.
	d := &deliveredPresence{ev: module.Delivered{Stanza: st, To: to, Account: acct}}
	ev := &d.ev
	if s.runDelivered(tx, module.PresenceDelivered, true, ev) {
		return
	}
	typ := st.Attrib("type")
	switch typ {
	case "probe":
		s.inboundProbe(tx, acct, st)
		return
	case "subscribe", "subscribed", "unsubscribe", "unsubscribed":
		from, err := jidcheck.ParseFast(st.Attrib("from"))
		if err != nil {
			return
		}
		if s.contacts != nil {
			s.contacts.Inbound(tx, acct, st, from.Bare())
		}
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
			ev.Sessions = append(d.first[:0], ss)
		}
	} else {
		ev.Sessions = d.first[:0]
		for _, ss := range acct.sessions {
			if ss.available() {
				ss.send(st)
				ev.Sessions = append(ev.Sessions, ss)
			}
		}
	}
	s.runDelivered(tx, module.PresenceDelivered, false, ev)
}

// deliveredPresence is deliverPresence's event with room for the first
// sessions it reaches (most accounts have one or two).
type deliveredPresence struct {
	ev    module.Delivered
	first [2]module.Session
}

// storedPresence is the copy of a session's broadcast presence that the
// router keeps to answer probes, new subscribers and the user's later
// resources: stamped with an XEP-0203 <delay from=domain/> saying when the
// server received it, as Prosody trunk does (its blocking.scs expects the
// stamp on the presence a new subscriber is sent). A <delay/> the client
// put there itself is dropped first: only the server may vouch for it.
//
// Its children past the first StoredPresenceElements elements are kept
// serialised (xmlnode.SealedPast): a presence of thousands of empty
// elements would otherwise cost half a megabyte of tree for every session
// that sent one.
func (s *Router) storedPresence(st *xmlnode.Element) *xmlnode.Element {
	c := st.Copy()
	c.RemoveChildren(nsDelay, "delay")
	c = c.SealedPast(StoredPresenceElements)
	c.AddChild(nsDelay, "delay", "from", s.domain, "stamp", time.Now().UTC().Format("2006-01-02T15:04:05Z"))
	return c
}

// StoredPresenceElements is how many elements of a presence the server
// keeps as a tree when it keeps the presence for long (a session's
// broadcast presence, a MUC occupant's): far more than a real client's
// (show, status, priority, caps, an avatar hash, a nick: about a dozen),
// and the rest is kept as its bytes.
const StoredPresenceElements = 64

// nsDelay is XEP-0203's namespace.
const nsDelay = "urn:xmpp:delay"

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
	from, err := jidcheck.ParseFast(st.Attrib("from"))
	if err != nil {
		return
	}
	us := s.bareJID(a.name)
	if !s.isSubscriber(a, from.Bare()) {
		p := xmlnode.New(nsClient, "presence", "type", "unsubscribed", "from", us.String(), "to", from.Bare().String())
		s.routePresence(tx, p, from.Bare())
		return
	}
	if s.sendAvailable(tx, a, from, nil) == 0 {
		p := xmlnode.New(nsClient, "presence", "type", "unavailable", "from", us.String(), "to", from.String())
		s.routePresence(tx, p, from)
	}
}

// isSubscriber reports whether bare may see a's presence (Contacts).
func (s *Router) isSubscriber(a *account, bare jid.JID) bool {
	return s.contacts != nil && s.contacts.IsSubscriber(a, bare)
}
