package router

import (
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/muctest/muctest/jidcheck"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/xmlnode"
)

func (s *Router) iqFromClient(tx *txn, ss *session, st *xmlnode.Element, to jid.JID) {
	typ := st.Attrib("type")
	if st.Attrib("id") == "" {
		r := errorReply(st, stanza.Modify, stanza.BadRequest, "Missing required 'id' attribute")
		r.RemoveAttr("to")
		r.SetAttr("from", s.domain)
		ss.send(r)
		return
	}
	switch typ {
	case "get", "set":
		if len(st.Elements()) != 1 {
			r := errorReply(st, stanza.Modify, stanza.BadRequest, "Incorrect number of children for IQ stanza")
			r.RemoveAttr("to")
			r.SetAttr("from", s.domain)
			ss.send(r)
			return
		}
	case "result", "error":
	default:
		r := errorReply(st, stanza.Modify, stanza.BadRequest, "Invalid IQ type")
		ss.send(r)
		return
	}
	if to.Domainpart() != "" && s.runSent(tx, module.IQSent, true, &module.Sent{Session: ss, Stanza: st, To: to}) {
		return
	}
	switch {
	case to.Domainpart() == "":
		s.accountIQ(tx, ss.acct, st, ss.full, true)
	case s.isComponent(to):
		tx.addComponent(s.componentOf(to), st)
	case s.remote(to):
		s.bounceRemote(tx, st)
	default:
		s.deliverIQ(tx, st, to)
	}
}

// deliverIQ handles an iq for this domain: the server, an account, or a
// session (RFC 6121 section 8.5).
func (s *Router) deliverIQ(tx *txn, st *xmlnode.Element, to jid.JID) {
	typ := st.Attrib("type")
	if to.Localpart() == "" {
		if to.Resourcepart() == "" {
			s.serverIQ(tx, st, to)
		} else if typ == "get" || typ == "set" {
			s.bounce(tx, st, stanza.Cancel, stanza.ServiceUnavailable, "")
		}
		return
	}
	acct := s.accountLocked(to.Localpart())
	if acct == nil {
		if typ == "get" || typ == "set" {
			s.bounce(tx, st, stanza.Cancel, stanza.ServiceUnavailable, "")
		}
		return
	}
	if s.hasHooks(module.IQDelivered) && s.runDelivered(tx, module.IQDelivered, true, &module.Delivered{Stanza: st, To: to, Account: acct}) {
		return
	}
	if res := to.Resourcepart(); res != "" {
		if ss := acct.session(res); ss != nil {
			ss.send(st)
		} else if typ == "get" || typ == "set" {
			s.bounce(tx, st, stanza.Cancel, stanza.ServiceUnavailable, "")
		}
		return
	}
	from, _ := jidcheck.ParseFast(st.Attrib("from"))
	s.accountIQ(tx, acct, st, from, from.Localpart() == acct.name && from.Domainpart() == s.domain)
}

// requestPayload returns the one child of a get or set iq, the request the
// server answers. It returns nil for results and errors, and for a request
// without exactly one child, which it refuses with bad-request:
// iqFromClient already refuses those from clients, but stanzas from
// components reach the server's handlers without that check.
func (s *Router) requestPayload(tx *txn, st *xmlnode.Element) *xmlnode.Element {
	if typ := st.Attrib("type"); typ != "get" && typ != "set" {
		return nil
	}
	els := st.Elements()
	if len(els) != 1 {
		s.bounce(tx, st, stanza.Modify, stanza.BadRequest, "")
		return nil
	}
	return els[0]
}

// accountIQ answers an iq addressed to a user's bare JID (or sent with no
// "to", which means the sender's own account): a SendIQ answer, or a
// request for the Self or Account handlers. self says whether the sender
// is the account's owner.
func (s *Router) accountIQ(tx *txn, acct *account, st *xmlnode.Element, from jid.JID, self bool) {
	if t := st.Attrib("type"); (t == "result" || t == "error") && s.answered(tx, st, acct.name+"@"+s.domain) {
		return
	}
	payload := s.requestPayload(tx, st)
	if payload == nil {
		return
	}
	typ := st.Attrib("type")
	var h *module.IQEntry
	if self {
		h = s.iqHandler(tSelf, typ, payload.Name)
	}
	if h == nil {
		h = s.iqHandler(tAccount, typ, payload.Name)
	}
	if h != nil {
		req := &module.Request{Context: tx, Stanza: st, Payload: payload, Account: acct, From: from, Self: self,
			Prepared: tx.preparedFor(payload, h.Module)}
		if ss := s.senderSession(from); ss != nil {
			req.Session = ss
		}
		h.Handle(req)
		return
	}
	s.bounce(tx, st, stanza.Cancel, stanza.ServiceUnavailable, "")
}

// serverIQ answers an iq addressed to the server's domain: a SendIQ
// answer, or a request for the Domain handlers.
func (s *Router) serverIQ(tx *txn, st *xmlnode.Element, to jid.JID) {
	if t := st.Attrib("type"); (t == "result" || t == "error") && s.answered(tx, st, s.domain) {
		return
	}
	payload := s.requestPayload(tx, st)
	if payload == nil {
		return
	}
	typ := st.Attrib("type")
	if h := s.iqHandler(tDomain, typ, payload.Name); h != nil {
		from, _ := jidcheck.ParseFast(st.Attrib("from"))
		req := &module.Request{Context: tx, Stanza: st, Payload: payload, From: from, Prepared: tx.preparedFor(payload, h.Module)}
		if ss := s.senderSession(from); ss != nil {
			req.Session = ss
		}
		h.Handle(req)
		return
	}
	s.bounce(tx, st, stanza.Cancel, stanza.ServiceUnavailable, "")
}

// reply routes a server-built answer to its "to".
func (s *Router) reply(tx *txn, r *xmlnode.Element) {
	to, err := jidcheck.ParseFast(r.Attrib("to"))
	if err != nil {
		return
	}
	s.route(tx, r, to)
}

// senderSession returns the local bound session from is, or nil.
func (s *Router) senderSession(from jid.JID) *session {
	if from.Domainpart() != s.domain || from.Resourcepart() == "" {
		return nil
	}
	if a := s.accounts[from.Localpart()]; a != nil {
		return a.session(from.Resourcepart())
	}
	return nil
}
