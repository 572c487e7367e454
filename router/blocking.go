package router

import (
	"slices"

	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/muctest/muctest/xmlnode"
)

// Blocking Command (XEP-0191), enabled in Prosody's test config: a user's
// blocklist stops stanzas both ways, with the errors Prosody gives.
const (
	nsBlocking       = "urn:xmpp:blocking"
	nsBlockingErrors = "urn:xmpp:blocking:errors"
)

// blocks reports whether a's blocklist covers j: an item matches the full
// JID, the bare JID, the domain, or domain/resource (XEP-0191 section 3.5).
func (a *account) blocks(j jid.JID) bool {
	if len(a.blocklist) == 0 {
		return false
	}
	for _, item := range []string{j.String(), j.Bare().String(), j.Domain().String(), j.Domainpart() + "/" + j.Resourcepart()} {
		if slices.Contains(a.blocklist, item) {
			return true
		}
	}
	return false
}

// blockingIQ handles blocklist retrieval, block and unblock from the
// account's owner.
func (s *Router) blockingIQ(tx *txn, a *account, st, payload *xmlnode.Element, self bool) {
	from, _ := jid.Parse(st.Attrib("from"))
	ss := a.session(from.Resourcepart())
	typ := st.Attrib("type")
	if !self || ss == nil {
		s.bounce(tx, st, stanza.Cancel, stanza.NotAllowed, "")
		return
	}
	switch {
	case typ == "get" && payload.Name.Local == "blocklist":
		ss.blocklistRequested = true
		r := result(st)
		l := r.AddChild(nsBlocking, "blocklist")
		for _, item := range a.blocklist {
			l.AddChild(nsBlocking, "item", "jid", item)
		}
		s.reply(tx, r)
	case typ == "set" && (payload.Name.Local == "block" || payload.Name.Local == "unblock"):
		var items []string
		for _, it := range payload.ChildrenNamed(nsBlocking, "item") {
			j, err := jid.Parse(it.Attrib("jid"))
			if err != nil {
				s.bounce(tx, st, stanza.Modify, stanza.JIDMalformed, "")
				return
			}
			items = append(items, j.String())
		}
		block := payload.Name.Local == "block"
		if block && len(items) == 0 {
			s.bounce(tx, st, stanza.Modify, stanza.BadRequest, "")
			return
		}
		s.reply(tx, result(st))
		if block {
			for _, item := range items {
				if slices.Contains(a.blocklist, item) {
					continue
				}
				a.blocklist = append(a.blocklist, item)
				// Contacts that saw our presence now see us go offline.
				if it := a.roster[item]; it != nil && it.subFrom {
					cj, _ := jid.Parse(item)
					s.sendAvailable(tx, a, cj, xmlnode.New(nsClient, "presence", "type", "unavailable"))
				}
			}
		} else {
			var unblocked, kept []string
			for _, b := range a.blocklist {
				if len(items) == 0 || slices.Contains(items, b) {
					unblocked = append(unblocked, b)
				} else {
					kept = append(kept, b)
				}
			}
			a.blocklist = kept
			// XEP-0191 section 3.4: contacts allowed to see our presence
			// get it again (the mirror of the unavailable sent on block).
			for _, item := range unblocked {
				it := a.roster[item]
				cj, err := jid.Parse(item)
				if it != nil && it.subFrom && err == nil && !a.blocks(cj) {
					s.sendAvailable(tx, a, cj, nil)
				}
			}
		}
		for _, o := range a.sessions {
			if !o.blocklistRequested {
				continue
			}
			push := newIQ("set", "blocklist-push")
			push.SetAttr("to", o.full.String())
			p := push.AddChild(nsBlocking, payload.Name.Local)
			for _, item := range items {
				p.AddChild(nsBlocking, "item", "jid", item)
			}
			o.send(push)
		}
	default:
		s.bounce(tx, st, stanza.Modify, stanza.BadRequest, "")
	}
}

// blockedOutbound stops a stanza a session sends to a JID its account
// blocks: messages and iq requests get not-acceptable with the
// urn:xmpp:blocking:errors marker, presence is dropped. It reports whether
// st was stopped.
func (s *Router) blockedOutbound(ss *session, st *xmlnode.Element, to jid.JID) bool {
	if to.Domainpart() == "" || !ss.acct.blocks(to) {
		return false
	}
	typ := st.Attrib("type")
	if st.Name.Local == "presence" || typ == "error" || typ == "result" {
		return true
	}
	r := errorReply(st, stanza.Cancel, stanza.NotAcceptable, "You have blocked this JID")
	r.Child(nsClient, "error").AddChild(nsBlockingErrors, "blocked")
	ss.send(r)
	return true
}

// blockedInbound stops a stanza for a local user from a JID they block, as
// Prosody does: presence dropped, messages answered service-unavailable from
// the bare JID, iq requests service-unavailable from the addressee.
func (s *Router) blockedInbound(tx *txn, st *xmlnode.Element, to jid.JID) bool {
	a := s.accounts[to.Localpart()]
	if to.Localpart() == "" || a == nil || len(a.blocklist) == 0 {
		return false
	}
	from, err := jid.Parse(st.Attrib("from"))
	if err != nil || !a.blocks(from) {
		return false
	}
	switch st.Name.Local {
	case "message":
		r := st.Copy()
		r.SetAttr("to", s.bareJID(a.name).String())
		s.bounce(tx, r, stanza.Cancel, stanza.ServiceUnavailable, "")
	case "iq":
		if t := st.Attrib("type"); t == "get" || t == "set" {
			s.bounce(tx, st, stanza.Cancel, stanza.ServiceUnavailable, "")
		}
	}
	return true
}
