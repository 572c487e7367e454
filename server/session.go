package server

import (
	"slices"
	"strconv"
	"strings"

	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stream"

	"github.com/muctest/muctest/c2s"
	"github.com/muctest/muctest/component"
	"github.com/muctest/muctest/xmlnode"
)

// session is the server's view of one bound c2s session: its presence state
// (RFC 6121 section 4) and whether it asked for the roster. Guarded by
// Server.mu.
type session struct {
	srv  *Server
	c    *c2s.Session
	full jid.JID
	acct *account

	presence   *xmlnode.Element // last broadcast available presence, no "to"; nil while unavailable
	priority   int
	interested bool // requested the roster: receives roster pushes (RFC 6121 2.1.6)
	carbons    bool // enabled Message Carbons (XEP-0280)
	// blocklistRequested: fetched the blocklist, so gets its pushes (XEP-0191).
	blocklistRequested bool

	// directed lists the JIDs that got directed available presence and
	// must get unavailable when the session goes offline (RFC 6121 4.6.3).
	directed []string

	gone bool // unbound: replaced or closed
}

// available reports whether the session has sent initial presence (and not
// gone unavailable since): only available sessions receive presence and
// messages to the bare JID (RFC 6121 sections 4.2 and 8.5.2).
func (ss *session) available() bool { return ss.presence != nil }

func (ss *session) send(st *xmlnode.Element) {
	if ss.gone {
		return
	}
	ss.c.Send(st)
}

// sendTo sends st addressed to "to" without a copy (c2s.Session.SendTo).
func (ss *session) sendTo(st *xmlnode.Element, to string) {
	if ss.gone {
		return
	}
	ss.c.SendTo(st, to)
}

func (ss *session) addDirected(to string) {
	if !slices.Contains(ss.directed, to) {
		ss.directed = append(ss.directed, to)
	}
}

func (ss *session) removeDirected(to string) {
	ss.directed = slices.DeleteFunc(ss.directed, func(d string) bool { return d == to })
}

// host implements c2s.Host.
type host Server

func (h *host) Bind(cs *c2s.Session, full jid.JID, reply *xmlnode.Element) (c2s.Handler, error) {
	s := (*Server)(h)
	tx := &txn{}
	s.mu.Lock()
	acct := s.accountLocked(full.Localpart())
	if acct == nil {
		// Authenticated accounts always exist; be defensive anyway.
		acct = newAccount(full.Localpart(), "")
		s.accounts[full.Localpart()] = acct
	}
	var old *session
	for _, o := range acct.sessions {
		if o.full.Resourcepart() == full.Resourcepart() {
			old = o
		}
	}
	if old != nil {
		// RFC 6120 section 7.7.2.2: the newest session wins; the old one
		// goes offline and gets a conflict stream error.
		s.unbindLocked(tx, old, "Replaced by new connection")
	}
	ss := &session{srv: s, c: cs, full: full, acct: acct}
	acct.sessions = append(acct.sessions, ss)
	cs.Send(reply)
	s.mu.Unlock()
	s.flush(tx)
	if old != nil {
		old.c.CloseWithError(stream.Conflict, "Replaced by new connection")
	}
	return ss, nil
}

// HandleStanza implements c2s.Handler: route one stanza from this session.
func (ss *session) HandleStanza(st *xmlnode.Element) {
	s := ss.srv
	tx := &txn{}
	s.mu.Lock()
	if !ss.gone {
		s.fromClient(tx, ss, st)
	}
	s.mu.Unlock()
	s.flush(tx)
}

// Close implements c2s.Handler: the session went away; tell everyone who
// saw it online.
func (ss *session) Close(reason string) {
	s := ss.srv
	tx := &txn{}
	s.mu.Lock()
	if !ss.gone {
		s.unbindLocked(tx, ss, reason)
	}
	s.mu.Unlock()
	s.flush(tx)
}

// unbindLocked takes ss offline: unavailable presence to everyone who had
// its presence (contacts, other resources, directed-presence targets such as
// MUC rooms), then removes it from its account. reason, when set, becomes a
// "Disconnected: reason" status as in Prosody.
func (s *Server) unbindLocked(tx *txn, ss *session, reason string) {
	if ss.available() || len(ss.directed) > 0 {
		un := xmlnode.New(c2s.NSClient, "presence", "type", "unavailable", "from", ss.full.String())
		if reason != "" {
			un.AddChild(c2s.NSClient, "status").SetText("Disconnected: " + reason)
		}
		s.broadcastPresence(tx, ss, un, false)
	}
	ss.gone = true
	ss.acct.sessions = slices.DeleteFunc(ss.acct.sessions, func(o *session) bool { return o == ss })
}

// txn collects the stanzas for components produced while Server.mu is held;
// they are handed over after unlocking, because a component routes its
// answers back through Server.Route, which takes the lock.
type txn struct {
	toComponent []*xmlnode.Element
}

func (s *Server) flush(tx *txn) {
	for len(tx.toComponent) > 0 {
		st := tx.toComponent[0]
		tx.toComponent = tx.toComponent[1:]
		if s.muc != nil {
			s.muc.HandleStanza(st)
		}
	}
}

// Route implements component.Router: a component (the MUC service) delivers
// a stanza to a local user. Stanzas a component addresses to a component are
// dropped.
func (s *Server) Route(st *xmlnode.Element) {
	s.routeFromComponent(st, st.Attrib("to"), false)
}

// RouteTo implements component.AddressedRouter: Route for a copy of st
// addressed to "to", without the copy where it can. A MUC broadcast calls
// it once per occupant session with the same st; on the common path (a
// bound session of the recipient, see deliverTo) the session encodes st
// with to in place of its "to", and nothing is allocated per recipient.
// st is not kept nor changed.
func (s *Server) RouteTo(st *xmlnode.Element, to string) {
	s.routeFromComponent(st, to, true)
}

var _ component.AddressedRouter = (*Server)(nil)

// routeFromComponent is Route (addr is st's "to") and RouteTo (addressed:
// addr is the recipient, st's "to" does not count).
func (s *Server) routeFromComponent(st *xmlnode.Element, addr string, addressed bool) {
	to, err := s.jids.parse(addr)
	if err != nil {
		s.log.Warn("server: component sent a stanza with a bad to", "to", addr)
		return
	}
	if s.isComponent(to) || to.Domainpart() != s.domain {
		return
	}
	var tx txn // on the stack: a broadcast calls this per recipient
	s.mu.Lock()
	if addressed {
		s.deliverTo(&tx, st, addr, to)
	} else {
		s.deliver(&tx, st, to)
	}
	async := len(tx.toComponent) > 0 && !s.closed
	if async {
		// Errors bounced back to the component (e.g. a message for an
		// occupant whose session is gone) cannot be handed over here: the
		// component may be holding its own lock while it calls Route. A
		// goroutine delivers them once it lets go; WaitIdle counts it.
		s.wg.Add(1)
		s.idle.add(1)
	}
	s.mu.Unlock()
	if async {
		go func(tx *txn) {
			defer s.wg.Done()
			defer s.idle.add(-1)
			s.flush(tx)
		}(&txn{toComponent: tx.toComponent})
	}
}

func (s *Server) isComponent(j jid.JID) bool {
	return s.mucDomain != "" && j.Domainpart() == s.mucDomain
}

func parsePriority(p *xmlnode.Element) int {
	v := strings.TrimSpace(p.ChildText("", "priority"))
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < -128 || n > 127 {
		return 0
	}
	return n
}
