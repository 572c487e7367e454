package router

import (
	"slices"
	"strconv"
	"strings"

	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stream"

	"github.com/muctest/muctest/c2sapi"
	"github.com/muctest/muctest/component"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/quota"
	"github.com/muctest/muctest/xmlnode"
)

// session is the router's view of one bound session: its presence state
// (RFC 6121 section 4) and the modules' state. Guarded by Router.mu. It
// implements module.Session and c2sapi.Handler.
type session struct {
	srv  *Router
	c    Conn
	full jid.JID
	acct *account

	presence *xmlnode.Element // last broadcast available presence, no "to"; nil while unavailable
	priority int

	// directed lists the JIDs that got directed available presence and
	// must get unavailable when the session goes offline (RFC 6121 4.6.3),
	// in the order they got it; directedSet indexes it once it is long
	// enough for a scan to cost, and directedBytes is its size, both
	// bounded by Quotas.DirectedPresences and DirectedBytes.
	directed      []string
	directedSet   map[string]struct{}
	directedBytes int

	state module.Slots
	gone  bool // unbound: replaced or closed
}

var _ module.Session = (*session)(nil)

func (ss *session) JID() jid.JID               { return ss.full }
func (ss *session) Account() module.Account    { return ss.acct }
func (ss *session) Available() bool            { return ss.available() }
func (ss *session) Priority() int              { return ss.priority }
func (ss *session) Presence() *xmlnode.Element { return ss.presence }
func (ss *session) Send(st *xmlnode.Element)   { ss.send(st) }
func (ss *session) State() *module.Slots       { return &ss.state }

// available reports whether the session has sent initial presence (and not
// gone unavailable since): only available sessions receive presence and
// messages to the bare JID (RFC 6121 sections 4.2 and 8.5.2).
func (ss *session) available() bool { return ss.presence != nil }

func (ss *session) send(st *xmlnode.Element) {
	if ss.gone {
		return
	}
	ss.srv.deliveries++
	ss.c.Send(st)
}

// sendTo sends st addressed to "to" without a copy (c2s.Session.SendTo).
func (ss *session) sendTo(st *xmlnode.Element, to string) {
	if ss.gone {
		return
	}
	ss.srv.deliveries++
	ss.c.SendTo(st, to)
}

// directedIndexed is the length past which the directed targets get a set:
// below it a scan of a few strings is cheaper than a map.
const directedIndexed = 16

// hasDirected reports whether to got directed available presence.
func (ss *session) hasDirected(to string) bool {
	if ss.directedSet != nil {
		_, ok := ss.directedSet[to]
		return ok
	}
	return slices.Contains(ss.directed, to)
}

// addDirected remembers to as a directed presence target, unless it is one
// already; it reports false, remembering nothing, when to is new and would
// take the session past its quotas.
func (ss *session) addDirected(to string) bool {
	if ss.hasDirected(to) {
		return true
	}
	q := ss.srv.quotas
	if !quota.Within(q.DirectedPresences, len(ss.directed), 1) || !quota.Within(q.DirectedBytes, ss.directedBytes, len(to)) ||
		!quota.Within(q.DirectedTotalBytes, ss.srv.directedTotal, len(to)) {
		return false
	}
	ss.directed = append(ss.directed, to)
	ss.directedBytes += len(to)
	ss.srv.directedTotal += len(to)
	if ss.directedSet != nil {
		ss.directedSet[to] = struct{}{}
	} else if len(ss.directed) > directedIndexed {
		ss.directedSet = make(map[string]struct{}, len(ss.directed))
		for _, d := range ss.directed {
			ss.directedSet[d] = struct{}{}
		}
	}
	return true
}

// removeDirected forgets to as a directed presence target.
func (ss *session) removeDirected(to string) {
	if !ss.hasDirected(to) {
		return
	}
	ss.directed = slices.DeleteFunc(ss.directed, func(d string) bool { return d == to })
	ss.directedBytes -= len(to)
	ss.srv.directedTotal -= len(to)
	if ss.directedSet != nil {
		delete(ss.directedSet, to)
	}
}

// clearDirected forgets every directed presence target.
func (ss *session) clearDirected() {
	ss.srv.directedTotal -= ss.directedBytes
	ss.directed, ss.directedSet, ss.directedBytes = nil, nil, 0
}

// Auth returns the router's accounts as c2s.Config.Auth.
func (s *Router) Auth() c2sapi.Authenticator { return (*authenticator)(s) }

// Bind makes conn the session of full (c2s.Host.Bind for any Conn): reply
// (the bind result) is queued first, an older session of the same full
// JID is replaced (RFC 6120 section 7.7.2.2: it goes offline and gets a
// conflict stream error), and the SessionBound hooks run. It returns the
// session's Handler.
func (s *Router) Bind(conn Conn, full jid.JID, reply *xmlnode.Element) (c2sapi.Handler, error) {
	return s.BindInline(conn, full, reply, nil)
}

// BindInline is Bind with inline, when not nil, called with the new
// session (its Handler) once it is bound and before reply is queued, with
// the lock held: XEP-0386's inline features (XEP-0198's enable, carbons)
// take effect there, so that nothing is delivered to the session in
// between, and put their answers in reply.
func (s *Router) BindInline(conn Conn, full jid.JID, reply *xmlnode.Element, inline func(c2sapi.Handler)) (c2sapi.Handler, error) {
	tx := &txn{r: s}
	s.drainBroadcast(tx, full) // the session it may replace
	ss, old, err := s.bindLocked(tx, conn, full, reply, inline)
	s.flush(tx)
	if old != nil {
		old.CloseWithError(stream.Conflict, "Replaced by new connection")
	}
	if err != nil {
		return nil, err
	}
	return ss, nil
}

func (s *Router) bindLocked(tx *txn, conn Conn, full jid.JID, reply *xmlnode.Element, inline func(c2sapi.Handler)) (ss *session, old Conn, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, nil, ErrClosed
	}
	acct := s.accountLocked(full.Localpart())
	if acct == nil {
		// Authenticated accounts always exist; be defensive anyway.
		acct = newAccount(s, full.Localpart(), "")
		s.accounts[full.Localpart()] = acct
	}
	if prev := acct.session(full.Resourcepart()); prev != nil {
		// Its Conn is read now: a module may replace it (XEP-0198).
		old = prev.c
		s.unbindLocked(tx, prev, "Replaced by new connection")
	} else if !quota.Within(s.quotas.Resources, len(acct.sessions), 1) {
		return nil, nil, s.resourcesRefused()
	}
	ss = &session{srv: s, c: conn, full: full, acct: acct}
	acct.sessions = append(acct.sessions, ss)
	s.bound[full.String()] = ss
	defer s.recoverStanza(tx, nil)
	if inline != nil {
		inline(ss)
	}
	conn.Send(reply)
	s.runSession(tx, module.SessionBound, true, ss)
	s.runSession(tx, module.SessionBound, false, ss)
	return ss, old, nil
}

// HandleStanza implements c2sapi.Handler: route one stanza from this session.
func (ss *session) HandleStanza(st *xmlnode.Element) {
	s := ss.srv
	tx := &txn{r: s, client: ss, clientStanza: st}
	s.drainBroadcast(tx, ss.full)
	s.prepareRequest(tx, st) // before the lock (prepare.go)
	s.handleLocked(tx, ss, st)
	s.flush(tx)
}

func (s *Router) handleLocked(tx *txn, ss *session, st *xmlnode.Element) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.recoverStanza(tx, st)
	if !ss.gone {
		s.fromClient(tx, ss, st)
	}
}

// Close implements c2sapi.Handler: the session went away; tell everyone who
// saw it online, unless an unbinding hook keeps it (XEP-0198).
func (ss *session) Close(reason string) {
	s := ss.srv
	tx := &txn{r: s}
	s.drainBroadcast(tx, ss.full)
	s.closeLocked(tx, ss, reason)
	s.flush(tx)
}

func (s *Router) closeLocked(tx *txn, ss *session, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.recoverStanza(tx, nil)
	if ss.gone {
		return
	}
	if !s.closed {
		for _, h := range s.hooks[module.SessionUnbinding] {
			if h.Unbinding(tx, ss, reason) {
				return
			}
		}
	}
	s.unbindLocked(tx, ss, reason)
}

// unbindLocked takes ss offline: unavailable presence to everyone who had
// its presence (contacts, other resources, directed-presence targets such as
// MUC rooms), then removes it from its account. reason, when set, becomes a
// "Disconnected: reason" status as in Prosody.
func (s *Router) unbindLocked(tx *txn, ss *session, reason string) {
	s.catchUp(tx, ss.full)
	if ss.available() || len(ss.directed) > 0 {
		un := xmlnode.New(nsClient, "presence", "type", "unavailable", "from", ss.full.String())
		if reason != "" {
			un.AddChild(nsClient, "status").SetText("Disconnected: " + reason)
		}
		ev := &module.Sent{Session: ss, Stanza: un}
		if !s.runSent(tx, module.PresenceSent, true, ev) {
			s.broadcastPresence(tx, ss, un, false, func(tx *txn) { s.runSent(tx, module.PresenceSent, false, ev) })
		} else {
			ss.clearDirected() // a hook took the unavailable: nobody will be told
		}
	}
	ss.gone = true
	ss.acct.sessions = slices.DeleteFunc(ss.acct.sessions, func(o *session) bool { return o == ss })
	// The key is made again rather than kept in every session: 16 bytes
	// less per session (the 144-byte size class instead of 160).
	if key := ss.full.String(); s.bound[key] == ss {
		delete(s.bound, key)
	}
	s.runSession(tx, module.SessionUnbound, true, ss)
	s.runSession(tx, module.SessionUnbound, false, ss)
}

// Route implements component.Router: a component (the MUC service) delivers
// a stanza to a local user. Stanzas a component addresses to a component are
// dropped.
func (s *Router) Route(st *xmlnode.Element) {
	s.routeFromComponent(st, st.Attrib("to"), false)
}

// RouteTo implements component.AddressedRouter: Route for a copy of st
// addressed to "to", without the copy where it can. A MUC broadcast calls
// it once per occupant session with the same st; on the common path (a
// bound session of the recipient, see plainRecipient) the session encodes st
// with to in place of its "to", and nothing is allocated per recipient.
// st is not kept nor changed.
//
// The common path is one lookup of to in the bound sessions, under the
// lock taken once: to is the session's full JID as the session itself
// stamps it in "from", so it is found as it is, and nothing is parsed.
// Any other address (not normalised, a bare JID, a component) takes the
// general path, which parses it.
func (s *Router) RouteTo(st *xmlnode.Element, to string) {
	s.mu.Lock()
	if ss := s.bound[to]; ss != nil && ss.acct.flags == 0 && plainStanza(st) {
		ss.sendTo(st, to)
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	s.routeFromComponent(st, to, true)
}

var _ component.AddressedRouter = (*Router)(nil)

// routeFromComponent is Route (addr is st's "to") and RouteTo (addressed:
// addr is the recipient, st's "to" does not count).
func (s *Router) routeFromComponent(st *xmlnode.Element, addr string, addressed bool) {
	s.mu.Lock()
	var to jid.JID
	if ss := s.bound[addr]; ss != nil {
		// A session's own address (a room's presence to an occupant):
		// parsed already, and not worth a place in the JID cache.
		to = ss.full
	} else {
		s.mu.Unlock() // PRECIS, if needed, without the lock
		var err error
		to, err = s.jids.parse(addr)
		if err != nil {
			s.log.Warn("router: component sent a stanza with a bad to", "to", addr)
			return
		}
		if to.Domainpart() != s.domain {
			return
		}
		s.mu.Lock()
	}
	if addressed {
		// The fan-out path: no hook, no txn, nothing allocated.
		if ss := s.plainRecipient(st, to); ss != nil {
			ss.sendTo(st, addr)
			s.mu.Unlock()
			return
		}
	}
	tx := &txn{r: s}
	async := s.componentLocked(tx, st, addr, to, addressed)
	s.mu.Unlock()
	if async {
		go func() {
			defer s.wg.Done()
			defer s.busy(-1)
			s.flush(tx)
		}()
	}
}

// componentLocked delivers a component's stanza and reports whether
// stanzas for components or RouteLater builds are left for a new goroutine
// (counted in wg and busy). The lock is held.
func (s *Router) componentLocked(tx *txn, st *xmlnode.Element, addr string, to jid.JID, addressed bool) (async bool) {
	defer func() {
		async = tx.pending() && !s.closed
		if async {
			// Errors bounced back to a component (e.g. a message for an
			// occupant whose session is gone) cannot be handed over here:
			// the component may be holding its own lock while it calls
			// Route. A goroutine delivers them once it lets go, and runs
			// the RouteLater builds of the hooks the stanza met (they may
			// route to a component too); WaitIdle counts it until they are
			// routed.
			s.wg.Add(1)
			s.busy(1)
		}
	}()
	if addressed {
		st = st.ShallowCopy().SetAttr("to", addr)
	}
	defer s.recoverStanza(tx, st)
	s.deliver(tx, st, to)
	return false
}

// component returns the component that gets stanzas for j, or nil.
func (s *Router) componentOf(j jid.JID) component.Handler {
	if len(s.comps) == 0 {
		return nil
	}
	return s.component(j.Domainpart())
}

func (s *Router) isComponent(j jid.JID) bool { return s.componentOf(j) != nil }

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
