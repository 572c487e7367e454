package router

import (
	"slices"

	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/muctest/muctest/xmlnode"
)

// Message Carbons (XEP-0280), enabled in Prosody's test config: a session
// that enables them gets a copy of every chat message its account sends
// from or receives on another resource.
const (
	nsCarbons = "urn:xmpp:carbons:2"
	nsForward = "urn:xmpp:forward:0"
	nsHints   = "urn:xmpp:hints"
	nsMUCUser = "http://jabber.org/protocol/muc#user"
)

// carbonsIQ handles <enable/> and <disable/> from the account's owner.
func (s *Router) carbonsIQ(tx *txn, acct *account, st, payload *xmlnode.Element, self bool) {
	from, _ := jid.Parse(st.Attrib("from"))
	ss := acct.session(from.Resourcepart())
	if !self || ss == nil || st.Attrib("type") != "set" {
		// Only the account's own sessions enable carbons, and only with a
		// set. Anything else is a request nobody handles: Prosody answers
		// service-unavailable (RFC 6120 section 8.4), and so do we.
		s.bounce(tx, st, stanza.Cancel, stanza.ServiceUnavailable, "")
		return
	}
	ss.carbons = payload.Name.Local == "enable"
	s.reply(tx, result(st))
}

// carbonCopied reports whether st is a message carbons apply to, by the
// rules of XEP-0280 section 6 as Prosody applies them: chat messages, and
// normal ones with a body; never groupchat, MUC private messages, messages
// marked private or no-copy, or carbons themselves.
func carbonCopied(st *xmlnode.Element) bool {
	switch st.Attrib("type") {
	case "chat":
	case "", "normal":
		if st.Child(nsClient, "body") == nil {
			return false
		}
	default:
		return false
	}
	return st.Child(nsCarbons, "private") == nil && st.Child(nsHints, "no-copy") == nil &&
		st.Child(nsMUCUser, "x") == nil && st.Child(nsCarbons, "received") == nil &&
		st.Child(nsCarbons, "sent") == nil
}

// carbonsSent copies a message ss sent to the account's other
// carbon-enabled sessions (except the one it was addressed to).
func (s *Router) carbonsSent(ss *session, st *xmlnode.Element, to jid.JID) {
	if !carbonCopied(st) || s.isComponent(to) {
		return
	}
	for _, o := range ss.acct.sessions {
		if o == ss || !o.carbons || o.full.Equal(to) {
			continue
		}
		o.send(carbon("sent", ss.full.Bare().String(), o, st))
	}
}

// carbonsReceived copies a message delivered to some of acct's sessions to
// its other carbon-enabled ones.
func (s *Router) carbonsReceived(acct *account, st *xmlnode.Element, got ...*session) {
	if !carbonCopied(st) {
		return
	}
	for _, o := range acct.sessions {
		if !o.carbons || slices.Contains(got, o) {
			continue
		}
		o.send(carbon("received", s.bareJID(acct.name).String(), o, st))
	}
}

func carbon(kind, from string, to *session, st *xmlnode.Element) *xmlnode.Element {
	m := xmlnode.New(nsClient, "message", "from", from, "to", to.full.String(), "type", st.Attrib("type"))
	if m.Attrib("type") == "" {
		m.RemoveAttr("type")
	}
	m.AddChild(nsCarbons, kind).AddChild(nsForward, "forwarded").Append(st.Copy())
	return m
}
