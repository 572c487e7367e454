package router

import (
	"time"

	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/muctest/muctest/c2s"
	"github.com/muctest/muctest/jidcheck"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/stanzaerr"
	"github.com/muctest/muctest/xmlnode"
)

// Namespaces the router looks at.
const (
	nsStanzas     = c2s.NSStanzas
	nsDelay       = "urn:xmpp:delay"
	nsVCardUpdate = "vcard-temp:x:update"
)

// fromClient routes a stanza a bound session sent ("from" already stamped).
// s.mu is held.
func (s *Router) fromClient(tx *txn, ss *session, st *xmlnode.Element) {
	var to jid.JID
	if t := st.Attrib("to"); t != "" {
		var err error
		to, err = parseJID(t)
		if err != nil {
			if st.Attrib("type") != "error" {
				r := errorReply(st, stanza.Modify, stanza.JIDMalformed, "")
				r.RemoveAttr("from")
				ss.send(r)
			}
			return
		}
		st.SetAttr("to", to.String())
	}
	if s.blockedOutbound(ss, st, to) {
		return
	}
	switch st.Name.Local {
	case "message":
		s.messageFromClient(tx, ss, st, to)
	case "presence":
		s.presenceFromClient(tx, ss, st, to)
	case "iq":
		s.iqFromClient(tx, ss, st, to)
	}
}

// parseJID parses an address from a client. Like Prosody's stringprep-based
// jid.prep, it first drops the code points RFC 3454 table B.1 maps to
// nothing (soft hyphen, zero-width joiners, variation selectors...), which
// PRECIS would reject outright: a nickname like "🤖\uFE0F" reaches the MUC
// as "🤖", as it does on Prosody.
func parseJID(s string) (jid.JID, error) {
	j, err := jidcheck.Parse(s)
	if err == nil {
		return j, nil
	}
	mapped := jidcheck.MapNothing(s)
	if mapped == s {
		return j, err
	}
	return jidcheck.Parse(mapped)
}

// remote reports a JID this server cannot reach: no s2s.
func (s *Router) remote(j jid.JID) bool {
	return j.Domainpart() != s.domain && !s.isComponent(j)
}

func (s *Router) messageFromClient(tx *txn, ss *session, st *xmlnode.Element, to jid.JID) {
	if to.Domainpart() == "" {
		// RFC 6120 section 10.3.1: no "to" means the sender's bare JID.
		to = ss.full.Bare()
		st.SetAttr("to", to.String())
	}
	ev := module.Sent{Session: ss, Stanza: st, To: to}
	if s.runSent(tx, module.MessageSent, true, &ev) {
		return
	}
	switch {
	case s.isComponent(to):
		tx.addComponent(s.componentOf(to), st)
	case s.remote(to):
		s.bounceRemote(tx, st)
		return
	default:
		s.deliver(tx, st, to)
	}
	s.carbonsSent(ss, st, to)
	s.runSent(tx, module.MessageSent, false, &ev)
}

// bounceRemote answers a stanza for another domain: this server has no
// server-to-server connections (as Prosody with s2s disabled).
func (s *Router) bounceRemote(tx *txn, st *xmlnode.Element) {
	if st.Attrib("type") == "error" || (st.Name.Local == "iq" && st.Attrib("type") == "result") {
		return
	}
	if st.Name.Local == "presence" {
		return
	}
	s.bounce(tx, st, stanza.Cancel, stanza.NotAllowed, "Communication with remote domains is not enabled")
}

// deliver handles a stanza addressed to this server's domain (a user's bare
// or full JID, or the domain itself) from anyone: RFC 6121 section 8.5.
// s.mu is held.
func (s *Router) deliver(tx *txn, st *xmlnode.Element, to jid.JID) {
	switch st.Name.Local {
	case "message":
		s.deliverMessage(tx, st, to)
	case "presence":
		s.deliverPresence(tx, st, to)
	case "iq":
		s.deliverIQ(tx, st, to)
	}
}

// deliverTo is deliver for Server.RouteTo: st, shared with other
// recipients, is delivered as a copy of it addressed to addr (whose parsed
// form is to) would be. On the common path, a MUC message or presence for
// a bound session, the session encodes st with addr as its "to" and
// nothing is built. Everything else (bare JIDs, a session that is gone,
// blocklists, carbons, iq, subscriptions...) runs deliver on a real
// addressed copy, built only then, so that every path that keeps, bounces
// or forwards the stanza gets the element it always got and the rules of
// RFC 6121 section 8.5 stay in one place. s.mu is held.
func (s *Router) deliverTo(tx *txn, st *xmlnode.Element, addr string, to jid.JID) {
	if ss := s.plainRecipient(st, to); ss != nil {
		ss.sendTo(st, addr)
		return
	}
	s.deliver(tx, st.ShallowCopy().SetAttr("to", addr), to)
}

// plainRecipient returns the session deliver would hand st (addressed to
// to) to and do nothing else with it: a full JID's bound session, of an
// account that blocks nobody (blockedInbound has nothing to check), for a
// message carbons do not apply to (deliverMessage sends it and stops) or
// an available or unavailable presence (deliverPresence sends it and
// stops). Otherwise nil: deliver must see the addressed stanza. s.mu is
// held.
func (s *Router) plainRecipient(st *xmlnode.Element, to jid.JID) *session {
	// Per recipient of every broadcast: JID parts are compared, not
	// copied out as strings, where it can be.
	local := to.Localpart()
	if local == "" || to.Equal(to.Bare()) {
		return nil
	}
	switch st.Name.Local {
	case "message":
		if carbonCopied(st) {
			return nil
		}
	case "presence":
		if t := st.Attrib("type"); t != "" && t != "unavailable" {
			return nil
		}
	default:
		return nil
	}
	acct := s.accounts[local]
	if acct == nil || len(acct.blocklist) > 0 || acct.flags != 0 {
		return nil
	}
	for _, ss := range acct.sessions {
		if ss.full.Equal(to) {
			return ss
		}
	}
	return nil
}

func (s *Router) deliverMessage(tx *txn, st *xmlnode.Element, to jid.JID) {
	if s.blockedInbound(tx, st, to) {
		return
	}
	typ := st.Attrib("type")
	if to.Localpart() == "" {
		// Messages to the server itself: nothing here handles them.
		if typ != "error" && typ != "groupchat" && typ != "headline" {
			s.bounce(tx, st, stanza.Cancel, stanza.ServiceUnavailable, "")
		}
		return
	}
	acct := s.accountLocked(to.Localpart())
	if acct == nil {
		if typ != "error" {
			s.bounce(tx, st, stanza.Cancel, stanza.ServiceUnavailable, "")
		}
		return
	}
	ev := module.Delivered{Stanza: st, To: to, Account: acct}
	if s.runDelivered(tx, module.MessageDelivered, true, &ev) {
		return
	}
	if res := to.Resourcepart(); res != "" {
		if ss := acct.session(res); ss != nil {
			ss.send(st)
			s.carbonsReceived(acct, st, ss)
			ev.Sessions = []module.Session{ss}
			s.runDelivered(tx, module.MessageDelivered, false, &ev)
			return
		}
		// RFC 6121 section 8.5.3.2.1: no such resource.
		switch typ {
		case "groupchat":
			s.bounce(tx, st, stanza.Cancel, stanza.ServiceUnavailable, "")
			return
		case "headline", "error":
			return
		}
	}
	switch typ {
	case "error":
	case "groupchat":
		s.bounce(tx, st, stanza.Cancel, stanza.ServiceUnavailable, "")
	case "headline":
		for _, ss := range acct.sessions {
			if ss.available() && ss.priority >= 0 {
				ss.send(st)
				ev.Sessions = append(ev.Sessions, ss)
			}
		}
		s.runDelivered(tx, module.MessageDelivered, false, &ev)
	default: // normal, chat
		top := acct.topResources()
		for _, ss := range top {
			ss.send(st)
			ev.Sessions = append(ev.Sessions, ss)
		}
		if len(top) > 0 {
			s.carbonsReceived(acct, st, top...)
		}
		s.runDelivered(tx, module.MessageDelivered, false, &ev)
		if len(top) == 0 && !ev.Kept {
			s.storeOffline(acct, st)
		}
	}
}

// session returns the bound session with resource res, or nil.
func (a *account) session(res string) *session {
	for _, ss := range a.sessions {
		if ss.full.Resourcepart() == res {
			return ss
		}
	}
	return nil
}

// topResources are the available sessions with the highest non-negative
// priority: where a chat or normal message to the bare JID goes (RFC 6121
// section 8.5.2.1.1, Prosody delivers to all of them).
func (a *account) topResources() []*session {
	var top []*session
	best := -1
	for _, ss := range a.sessions {
		if !ss.available() || ss.priority < 0 {
			continue
		}
		switch {
		case ss.priority > best:
			best = ss.priority
			top = append(top[:0], ss)
		case ss.priority == best:
			top = append(top, ss)
		}
	}
	return top
}

// storeOffline keeps a message for delivery on the next initial presence,
// stamped with XEP-0203 delay as Prosody's mod_offline does.
func (s *Router) storeOffline(acct *account, st *xmlnode.Element) {
	c := st.Copy()
	if c.Child(nsDelay, "delay") == nil {
		c.AddChild(nsDelay, "delay", "from", s.domain, "stamp", time.Now().UTC().Format("2006-01-02T15:04:05Z"))
	}
	if len(acct.offline) >= maxOffline {
		return
	}
	acct.offline = append(acct.offline, c)
}

// maxOffline bounds the offline messages kept per account; later ones are
// dropped (a test server must not grow without bound).
const maxOffline = 1000

// bounce sends an error reply for st back to its sender (RFC 6120 section
// 8.3), never for error stanzas. s.mu is held.
func (s *Router) bounce(tx *txn, st *xmlnode.Element, typ stanza.ErrorType, cond stanza.Condition, text string) {
	if st.Attrib("type") == "error" {
		return
	}
	r := errorReply(st, typ, cond, text)
	to, err := jid.Parse(r.Attrib("to"))
	if err != nil || to.Domainpart() == "" {
		return
	}
	s.route(tx, r, to)
}

// route sends a server-generated stanza to "to", wherever it is.
func (s *Router) route(tx *txn, st *xmlnode.Element, to jid.JID) {
	switch {
	case s.isComponent(to):
		tx.addComponent(s.componentOf(to), st)
	case to.Domainpart() == s.domain:
		s.deliver(tx, st, to)
	}
}

// errorReply builds the error answer to st (package stanzaerr).
func errorReply(st *xmlnode.Element, typ stanza.ErrorType, cond stanza.Condition, text string) *xmlnode.Element {
	return stanzaerr.Reply(st, string(typ), string(cond), text, "")
}

// result builds an empty iq result for iq, from its "to" (when set) to its
// sender.
func result(iq *xmlnode.Element) *xmlnode.Element {
	r := xmlnode.New(c2s.NSClient, "iq")
	if v := iq.Attrib("to"); v != "" {
		r.SetAttr("from", v)
	}
	r.SetAttr("id", iq.Attrib("id"))
	r.SetAttr("to", iq.Attrib("from"))
	r.SetAttr("type", "result")
	return r
}
