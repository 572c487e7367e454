package router

// A presence broadcast in spans (issue 11): presence without "to" goes to
// every contact subscribed to the sender's, each delivery running the
// contacts' presence hooks (XEP-0163 PEP's last items among them), and a
// thousand contacts held the router's lock 2 to 15 ms in one span. The
// contacts are delivered broadcastChunk at a time, each chunk in a span
// of its own (txn.Later), and what follows the deliveries in RFC 6121
// section 4 (the presence back to the sender, the directed presences'
// unavailable, initial presence's probes and the rest, then the
// PresenceSent after-hooks) runs after the last chunk, in the order it
// had in one span: flush runs what a span defers before what came after
// it (nextLater).
//
// Order (RFC 6120 section 10.1): every span of a client's broadcast runs
// in the client's goroutine before its next stanza is read (flush, from
// HandleStanza), so the broadcast reaches each contact before anything
// the client sends next. Other senders' stanzas may be routed between
// the spans; a stanza from the same full JID routed in between (a
// session that replaced this one, or its close) first finishes the
// broadcast, in spans of its own goroutine (drainBroadcast, the spans of
// both goroutines taking the next chunk in turn), or in its own span
// where it cannot let go of the lock (catchUp: an admin's EndSession),
// so that no contact gets that full JID's presences out of order. The sender's own state (its
// presence, priority, directed presences) changes with the last chunk,
// as it did after the deliveries in one span: a message to the bare JID
// routed between the spans of an initial presence still goes where it
// went before the presence (offline storage), and comes back in order
// after it.

import (
	"mellium.im/xmpp/jid"

	"github.com/muctest/muctest/jidcheck"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/xmlnode"
)

// broadcastChunk bounds the contacts one span delivers a broadcast
// presence to: a few microseconds each (15 with two PEP last items each
// to send back), so that a span stays well under a millisecond;
// broadcastDeliveries bounds what the span writes to sessions (a contact
// with many resources, the last items the contacts' services send
// back), checked after each contact.
const (
	broadcastChunk      = 32
	broadcastDeliveries = 64
)

// broadcast is a presence broadcast in progress: st from ss, to the
// contacts after next; reflect sends it back to ss at the end, then does
// what the caller left (after, the PresenceSent after-hooks).
type broadcast struct {
	ss       *session
	st       *xmlnode.Element
	reflect  bool
	contacts []jid.JID
	next     int
	after    func(tx *txn)
	// key is ss's full JID, under which an unfinished broadcast waits in
	// Router.broadcasts; running guards catchUp against a hook that
	// routes from the full JID inside one of the broadcast's own spans.
	key           string
	done, running bool
	waiting       bool
}

// broadcastPresence handles presence without "to" from ss: to the user's
// other resources, to contacts subscribed to it (in chunks, see the top
// of the file), back to ss (reflect), and for initial presence the
// probes, pending subscription requests and offline messages, then
// after. Unavailable presence also goes to every directed presence
// target.
func (s *Router) broadcastPresence(tx *txn, ss *session, st *xmlnode.Element, reflect bool, after func(tx *txn)) {
	a := ss.acct
	avail := st.Attrib("type") == ""
	st.RemoveAttr("to")
	b := &broadcast{ss: ss, st: st, reflect: reflect, after: after}
	if avail || ss.available() {
		for _, o := range a.sessions {
			if o != ss && o.available() {
				c := st.Copy()
				c.SetAttr("to", o.full.String())
				o.send(c)
			}
		}
		if s.contacts != nil {
			s.contacts.EachSubscriber(a, func(cj jid.JID) { b.contacts = append(b.contacts, cj) })
		}
	}
	s.runBroadcast(tx, b, false)
}

// runBroadcast delivers the next chunk of b, then leaves the next for a
// span of its own, or finishes b. In a later span (later), a panic in a
// contact's hooks is logged and the broadcast goes on with the next
// contact; in the stanza's own span it is the stanza's (recoverStanza),
// nothing being left for later yet.
func (s *Router) runBroadcast(tx *txn, b *broadcast, later bool) {
	if b.done {
		return // finished by catchUp
	}
	if later {
		s.deliverChunkSafely(tx, b)
	} else {
		s.deliverChunk(tx, b)
	}
	s.continueBroadcast(tx, b)
}

// deliverChunk delivers b's presence to its next contacts, up to
// broadcastChunk of them or broadcastDeliveries stanzas written.
func (s *Router) deliverChunk(tx *txn, b *broadcast) {
	b.running = true
	defer func() { b.running = false }()
	end := min(len(b.contacts), b.next+broadcastChunk)
	start := s.deliveries
	for b.next < end && s.deliveries-start < broadcastDeliveries {
		s.deliverContacts(tx, b, b.next+1)
	}
}

// deliverChunkSafely is deliverChunk, a panic logged and the contact
// whose delivery panicked skipped.
func (s *Router) deliverChunkSafely(tx *txn, b *broadcast) {
	defer func() {
		if v := recover(); v != nil {
			s.logPanic(v, "presence broadcast", "from", b.key)
			b.next++
		}
	}()
	s.deliverChunk(tx, b)
}

// continueBroadcast leaves the rest of b for a span of its own, or
// finishes it when no contact is left.
func (s *Router) continueBroadcast(tx *txn, b *broadcast) {
	if b.next >= len(b.contacts) {
		s.finishBroadcast(tx, b)
		return
	}
	if !b.waiting {
		b.key, b.waiting = b.ss.full.String(), true
		if s.broadcasts == nil {
			s.broadcasts = map[string]*broadcast{}
		}
		s.broadcasts[b.key] = b
		s.unfinished.Store(int32(len(s.broadcasts)))
	}
	tx.Later(func(module.Context) { s.runBroadcast(tx, b, true) })
}

// forgetBroadcast takes b out of the unfinished broadcasts (unless one
// started from a hook inside b's own span has its place by now).
func (s *Router) forgetBroadcast(b *broadcast) {
	if s.broadcasts[b.key] == b {
		delete(s.broadcasts, b.key)
		s.unfinished.Store(int32(len(s.broadcasts)))
	}
	b.waiting = false
}

// deliverContacts delivers b's presence to its contacts up to end.
func (s *Router) deliverContacts(tx *txn, b *broadcast, end int) {
	for ; b.next < end; b.next++ {
		cj := b.contacts[b.next]
		// A shallow copy for a local contact: its sessions serialise or
		// copy what they are sent, and presence hooks change no child
		// (OnPresenceDelivered), so the children serve every contact. A
		// component, which has the stanza after the lock, gets its own.
		var c *xmlnode.Element
		if s.isComponent(cj) {
			c = b.st.Copy()
		} else {
			c = b.st.ShallowCopy()
		}
		c.SetAttr("to", cj.String())
		s.routePresence(tx, c, cj)
	}
}

// drainBroadcast finishes an unfinished broadcast from the full JID
// full in spans of the calling goroutine, before that goroutine routes
// anything from full (a stanza, a bind that replaces a session, a
// close): what catchUp would otherwise do in one span. Its spans go on
// the txn's stack (flush) and alternate with those of the goroutine
// that started it, each taking the next chunk. The lock is not held.
func (s *Router) drainBroadcast(tx *txn, full jid.JID) {
	if s.unfinished.Load() == 0 {
		return // every stanza asks: no lock taken for nothing
	}
	s.mu.Lock()
	var b *broadcast
	if len(s.broadcasts) > 0 {
		b = s.broadcasts[full.String()]
	}
	if b == nil || b.running {
		s.mu.Unlock()
		return
	}
	s.runBroadcast(tx, b, true) // leaves the next chunk on tx
	s.mu.Unlock()
	s.flush(tx)
}

// catchUp finishes, in this span, an unfinished broadcast from the full
// JID full before anything else from it is routed (see the top of the
// file), where drainBroadcast could not (an admin's EndSession in
// another stanza's span, a session replaced in the instant between
// drainBroadcast and the lock). The lock is held.
func (s *Router) catchUp(tx *txn, full jid.JID) {
	if len(s.broadcasts) == 0 {
		return
	}
	b := s.broadcasts[full.String()]
	if b == nil || b.running {
		return
	}
	// Done before anything runs: its Later span finds nothing to do, and
	// a panic on the way (the stanza's to recover) leaves nothing behind.
	b.done = true
	s.forgetBroadcast(b)
	s.deliverContacts(tx, b, len(b.contacts))
	s.finishBroadcast(tx, b)
}

// finishBroadcast does what follows the contacts' deliveries: the
// presence back to the sender, the sender's state, initial presence's
// steps, then b.after.
func (s *Router) finishBroadcast(tx *txn, b *broadcast) {
	b.done = true
	if b.waiting {
		s.forgetBroadcast(b)
	}
	ss, st, a := b.ss, b.st, b.ss.acct
	if b.reflect {
		ss.send(st)
	}
	if st.Attrib("type") != "" {
		for _, d := range ss.directed {
			dj, err := jidcheck.ParseFast(d)
			if err != nil {
				continue
			}
			if ss.available() && s.isSubscriber(a, dj) {
				continue // already told through the roster
			}
			c := st.Copy()
			c.SetAttr("to", d)
			s.routePresence(tx, c, dj)
		}
		ss.clearDirected()
		ss.presence, ss.priority = nil, 0
		b.after(tx)
		return
	}
	initial := !ss.available()
	ss.presence = s.storedPresence(st)
	ss.priority = parsePriority(st)
	if !initial {
		b.after(tx)
		return
	}
	n := len(tx.later)
	s.runSession(tx, module.InitialPresence, true, ss)
	if len(tx.later) == n {
		s.initialRest(tx, b)
		return
	}
	// A hook left work for later spans (the probes of a long roster):
	// the rest waits for it.
	tx.Later(func(module.Context) { s.initialRest(tx, b) })
}

// initialRest is initial presence's last steps: the presence of the
// user's other available resources, the after-hooks of InitialPresence
// (pending subscription requests, offline messages) unless the session
// has gone meanwhile (its offline messages stay stored), then b.after.
func (s *Router) initialRest(tx *txn, b *broadcast) {
	ss := b.ss
	if !ss.gone {
		for _, o := range ss.acct.sessions {
			if o != ss && o.available() {
				c := o.presence.Copy()
				c.SetAttr("to", ss.full.String())
				ss.send(c)
			}
		}
		s.runSession(tx, module.InitialPresence, false, ss)
	}
	b.after(tx)
}
