package muc

import "github.com/muctest/muctest/xmlnode"

// handleInvite forwards a mediated invitation (XEP-0045 section 7.8.2) the
// way Prosody does: the original message (its id and other children kept,
// MUC payloads removed) goes to the invitee from the room with
// <invite from=.../> and a reason, a body for clients that do not know
// MUC invites, and a jabber:x:conference element; the room password when
// there is one. Inviting to a members-only room makes the invitee a member.
func (r *room) handleInvite(st *xmlnode.Element, from string, payload *xmlnode.Element) {
	invitee, ok := prepJID(payload.Attrib("to"))
	if !ok {
		r.svc.route(errorReply(st, "cancel", "jid-malformed", "", ""))
		return
	}
	inviterAff := r.affiliation(from)
	inviterRole := r.defaultRole(inviterAff)
	if o := r.occupantByReal(from); o != nil {
		inviterRole = o.role
	}
	if inviterRole <= roleVisitor {
		r.svc.route(errorReply(st, "auth", "forbidden", "", ""))
		return
	}
	if r.conf.membersOnly {
		required := affAdmin
		if r.conf.allowMemberInvites {
			required = affMember
		}
		if inviterAff < required {
			r.svc.route(errorReply(st, "auth", "forbidden", "", r.jid))
			return
		}
	} else if !r.conf.allowInvites && inviterAff < affAdmin {
		r.svc.route(errorReply(st, "auth", "forbidden", "", r.jid))
		return
	}

	reason := payload.ChildText("", "reason")
	m, x, inv := r.relayed(st, "invite", invitee, from, reason)

	// In a semi-anonymous room the invitee sees the inviter's nickname
	// unless it will be a moderator.
	if r.conf.whois == whoisModerators && r.defaultRole(r.affiliation(invitee)) != roleModerator {
		if nick := r.occupantJID(from); nick != "" {
			inv.SetAttr("from", nick)
		}
	}
	child(m, nsConference, "x", reason, "jid", r.jid)
	fallbackBody(m, inv.Attrib("from")+" invited you to the room "+r.jid, reason)
	if r.conf.password != "" {
		child(x, nsMUCUser, "password", r.conf.password)
	}
	if r.conf.membersOnly && r.affiliation(invitee) <= affNone {
		r.setAffiliation("", bareOf(invitee), "member", "Invited by "+inv.Attrib("from"), nil, false)
	}
	r.svc.route(m)
}

// handleDecline forwards a declined invitation back to the inviter (or to
// an occupant, when addressed to an in-room JID).
func (r *room) handleDecline(st *xmlnode.Element, from string, payload *xmlnode.Element) {
	declinee, ok := prepJID(payload.Attrib("to"))
	if !ok {
		r.svc.route(errorReply(st, "cancel", "jid-malformed", "", ""))
		return
	}
	reason := payload.ChildText("", "reason")
	m, _, _ := r.relayed(st, "decline", declinee, from, reason)
	fallbackBody(m, from+" declined your invite to the room "+r.jid, reason)
	if bareOf(declinee) == r.jid {
		if o := r.occupantByNick(declinee); o != nil {
			r.routeToOccupant(o, m)
			return
		}
	}
	r.svc.route(m)
}

// relayed builds the message the room relays for a mediated invitation or
// decline (kind "invite" or "decline"): a copy of st without its MUC
// payloads, from the room to to, carrying <x><kind from=.../></x> with the
// reason. It returns the message, the <x/> and the <kind/> element, for the
// caller to add to.
func (r *room) relayed(st *xmlnode.Element, kind, to, from, reason string) (m, x, item *xmlnode.Element) {
	m = filterMUCPayloads(st.Copy())
	m.SetAttr("from", r.jid)
	m.SetAttr("to", to)
	x = child(m, nsMUCUser, "x", "")
	item = child(x, nsMUCUser, kind, "", "from", from)
	child(item, nsMUCUser, "reason", reason)
	return m, x, item
}

// fallbackBody adds a human-readable body (text, then the reason in
// parentheses) for clients that do not understand MUC invitations, unless
// the sender wrote one.
func fallbackBody(m *xmlnode.Element, text, reason string) {
	if m.Child(nsClient, "body") != nil {
		return
	}
	if reason != "" {
		text += " (" + reason + ")"
	}
	child(m, nsClient, "body", text)
}
