package router

import (
	"strings"

	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/muctest/muctest/jidcheck"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/stanzaerr"
	"github.com/muctest/muctest/xmlnode"
)

// fromClient routes a stanza a bound session sent ("from" already stamped).
// s.mu is held.
func (s *Router) fromClient(tx *txn, ss *session, st *xmlnode.Element) {
	s.catchUp(tx, ss.full)
	var to jid.JID
	if t := st.Attrib("to"); t != "" {
		var err error
		to, err = s.parseClientJID(t)
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

// parseClientJID is parseJID through the cache of client addresses, which
// holds the strings jidcheck.Parse accepts as they are, for bare JIDs only:
// a room's address, where every groupchat message goes. A full JID is
// mostly an occupant's in-room address, used to join and then seldom
// again: caching those would cost memory per occupant for nothing.
func (s *Router) parseClientJID(t string) (jid.JID, error) {
	if !strings.Contains(t, "/") {
		if j, err := s.clientJIDs.parse(t); err == nil {
			return j, nil
		}
	}
	return parseJID(t)
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

// plainRecipient returns the session that gets a component's broadcast
// without a hook: a full JID's bound session, of an account no module has
// flagged (module.Flag: XEP-0191 blocking flags the accounts whose
// blocklist is not empty), for a groupchat message or an available or
// unavailable presence (what a MUC room fans out). Otherwise nil: deliver
// must see the addressed stanza and run the hooks. s.mu is held.
func (s *Router) plainRecipient(st *xmlnode.Element, to jid.JID) *session {
	// Per recipient of every broadcast: JID parts are compared, not
	// copied out as strings, where it can be.
	local := to.Localpart()
	if local == "" || to.Equal(to.Bare()) || !plainStanza(st) {
		return nil
	}
	acct := s.accounts[local]
	if acct == nil || acct.flags != 0 {
		return nil
	}
	for _, ss := range acct.sessions {
		if ss.full.Equal(to) {
			return ss
		}
	}
	return nil
}

// plainStanza reports whether st is what a room fans out and a session
// may get without a hook: a groupchat message, an available or unavailable
// presence.
func plainStanza(st *xmlnode.Element) bool {
	switch st.Name.Local {
	case "message":
		return st.Attrib("type") == "groupchat"
	case "presence":
		t := st.Attrib("type")
		return t == "" || t == "unavailable"
	}
	return false
}

func (s *Router) deliverMessage(tx *txn, st *xmlnode.Element, to jid.JID) {
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
		s.runDelivered(tx, module.MessageDelivered, false, &ev)
		if len(top) == 0 && !ev.Kept {
			// No offline storage took it (RFC 6121 section 8.5.2.1.1).
			s.bounce(tx, st, stanza.Cancel, stanza.ServiceUnavailable, "")
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

// bounce sends an error reply for st back to its sender (RFC 6120 section
// 8.3), never for error stanzas. s.mu is held.
func (s *Router) bounce(tx *txn, st *xmlnode.Element, typ stanza.ErrorType, cond stanza.Condition, text string) {
	if st.Attrib("type") == "error" {
		return
	}
	r := errorReply(st, typ, cond, text)
	to, err := jidcheck.ParseFast(r.Attrib("to"))
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
