package muc

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"

	"github.com/muctest/muctest/xmlnode"
)

// handleMessageToRoom handles messages to the bare room JID: groupchat
// messages, bounced errors, mediated invites and declines, voice requests.
func (r *room) handleMessageToRoom(st *xmlnode.Element, from string) {
	switch typ := st.Attrib("type"); typ {
	case "groupchat":
		r.handleGroupchat(st, from)
	case "error":
		if isKickableError(st) {
			r.handleKickable(st, from)
		}
	case "", "normal":
		if x := st.Child(nsMUCUser, "x"); x != nil {
			els := x.Elements()
			if len(els) > 0 {
				switch p := els[0]; {
				case p.Name.Local == "invite" && p.Attrib("to") != "":
					r.handleInvite(st, from, p)
					return
				case p.Name.Local == "decline" && p.Attrib("to") != "":
					r.handleDecline(st, from, p)
					return
				}
			}
			r.svc.route(errorReply(st, "cancel", "bad-request", "", ""))
			return
		}
		if form := st.Child(nsData, "x"); form != nil && formType(form) == nsMUCRequest {
			r.handleVoiceRequest(st, from, form)
			return
		}
		r.svc.route(errorReply(st, "cancel", "service-unavailable", "", ""))
	default: // chat, headline: nothing in a room handles them
		r.svc.route(errorReply(st, "cancel", "service-unavailable", "", ""))
	}
}

// handleGroupchat relays an occupant's groupchat message to everyone,
// sender included (the reflection tells the sender it went through), or
// applies it as a subject change.
func (r *room) handleGroupchat(st *xmlnode.Element, from string) {
	if st.Attrib("id") == "" {
		st.SetAttr("id", r.svc.cfg.NewID())
	}
	o := r.occupantByReal(from)
	switch {
	case o == nil || o.role == roleNone:
		r.svc.route(errorReply(st, "cancel", "not-acceptable", "You are not currently connected to this chat", ""))
		return
	case o.role <= roleVisitor:
		r.svc.route(errorReply(st, "auth", "forbidden", "You do not currently have permission to speak in this chat", ""))
		return
	}
	if r.handleSubjectChange(st, o) {
		return
	}
	m := st.Copy()
	// Delay elements claiming to come from the room are forgeries.
	out := m.Children[:0]
	for _, c := range m.Children {
		if el, ok := c.(*xmlnode.Element); ok && el.Attrib("from") == r.jid &&
			((el.Name.Space == nsDelay && el.Name.Local == "delay") || (el.Name.Space == nsLegacyDelay && el.Name.Local == "x")) {
			continue
		}
		out = append(out, c)
	}
	m.Children = out
	dropForgedModeration(m) // moderate.go
	r.stampOccupantID(m, o.bare)
	m.SetAttr("from", o.nick)
	r.broadcastMessage(m, o)
}

// broadcastMessage sends a room message (from occupant sender, nil for the
// room itself) to every occupant after giving it a stanza-id (XEP-0359)
// and archiving it, and storing it in the history, when it is worth
// keeping.
func (r *room) broadcastMessage(m *xmlnode.Element, sender *occupant) {
	out := m.Children[:0]
	for _, c := range m.Children {
		if el, ok := c.(*xmlnode.Element); ok && el.Name.Space == nsStanzaID && el.Name.Local == "stanza-id" {
			if by, ok := prepJID(el.Attrib("by")); ok && by == r.jid {
				continue
			}
		}
		out = append(out, c)
	}
	m.Children = out
	if isHistoric(m) {
		if r.conf.archiving {
			id := r.svc.cfg.NewID()
			r.archive(m, id, sender)
			child(m, nsStanzaID, "stanza-id", "", "by", r.jid, "id", id)
		}
		r.addHistory(m)
	}
	r.broadcast(m, nil)
}

// handleMessageToOccupant relays a private message between occupants,
// addressed from the sender's room JID.
func (r *room) handleMessageToOccupant(st *xmlnode.Element, from string) {
	typ := st.Attrib("type")
	nick := r.occupantJID(from)
	if nick == "" {
		if typ != "error" {
			r.svc.route(errorReply(st, "cancel", "not-acceptable", "You are not currently connected to this chat", r.jid))
		}
		return
	}
	if typ == "groupchat" {
		r.svc.route(errorReply(st, "modify", "bad-request", "", r.jid))
		return
	}
	if typ == "error" && isKickableError(st) {
		r.handleKickable(st, from)
		return
	}
	target := r.occupantByNick(st.Attrib("to"))
	if target == nil {
		if typ != "error" {
			r.svc.route(errorReply(st, "cancel", "item-not-found", "Recipient not in room", r.jid))
		}
		return
	}
	sender := r.occupants[nick]
	if !r.mayPrivateMessage(sender) {
		if typ != "error" {
			r.svc.route(errorReply(st, "cancel", "policy-violation", "Private messages are disabled", r.jid))
		}
		return
	}
	m := filterMUCPayloads(st.Copy())
	child(m, nsMUCUser, "x", "")
	m.SetAttr("from", nick)
	r.stampOccupantID(m, sender.bare)
	r.routeToOccupant(target, m)
}

// mayPrivateMessage applies the muc#roomconfig_allowpm setting.
func (r *room) mayPrivateMessage(o *occupant) bool {
	switch r.conf.allowPM {
	case "none":
		return false
	case "moderators":
		return o.role >= roleModerator
	case "participants":
		return o.role >= roleParticipant
	}
	return true
}

// handleIQToOccupant relays IQs between occupants (vCard requests, pings).
// The id is rewritten to carry the requester's JID, authenticated with the
// room's salt, so that the reply can be routed back without keeping state.
func (r *room) handleIQToOccupant(st *xmlnode.Element, from string) {
	typ := st.Attrib("type")
	to := st.Attrib("to")
	target := r.occupantByNick(to)
	if typ == "result" || typ == "error" {
		if target == nil {
			return
		}
		raw, err := base64.StdEncoding.DecodeString(st.Attrib("id"))
		if err != nil {
			return
		}
		parts := bytes.SplitN(raw, []byte{0}, 3)
		if len(parts) != 3 {
			return
		}
		fromJID, origID, hash := string(parts[0]), string(parts[1]), string(parts[2])
		if from != fromJID && from != bareOf(fromJID) {
			return
		}
		fromNick := r.occupantJID(fromJID)
		if fromNick == "" {
			return
		}
		for _, s := range target.sessions {
			if r.iqHash(s.jid) == hash {
				c := st.Copy()
				c.SetAttr("from", fromNick)
				c.SetAttr("to", s.jid)
				c.SetAttr("id", origID)
				r.svc.route(c)
				return
			}
		}
		return
	}
	current := r.occupantJID(from)
	if current == "" {
		r.svc.route(errorReply(st, "cancel", "not-acceptable", "You are not currently connected to this chat", r.jid))
		return
	}
	if target == nil {
		r.svc.route(errorReply(st, "cancel", "item-not-found", "Recipient not in room", r.jid))
		return
	}
	if to == current && typ == "get" && st.Child(nsPing, "ping") != nil {
		r.svc.route(reply(st)) // XEP-0410 self-ping
		return
	}
	c := st.Copy()
	c.SetAttr("id", base64.StdEncoding.EncodeToString([]byte(target.primary+"\x00"+st.Attrib("id")+"\x00"+r.iqHash(from))))
	c.SetAttr("from", current)
	c.SetAttr("to", target.primary)
	if els := st.Elements(); len(els) > 0 {
		switch els[0].Name.Space {
		case nsVCard, nsPubSub, nsVCard4:
			c.SetAttr("to", bareOf(target.primary))
		}
	}
	r.svc.route(c)
}

// iqHash is the short HMAC that ties a rewritten IQ id to a session.
func (r *room) iqHash(full string) string {
	m := hmac.New(sha256.New, []byte(r.salt))
	m.Write([]byte(full))
	return string(m.Sum(nil)[:8])
}

// handleIQToRoom dispatches IQs to the bare room JID by payload.
func (r *room) handleIQToRoom(st *xmlnode.Element, from string) {
	typ := st.Attrib("type")
	if typ != "get" && typ != "set" {
		return
	}
	els := st.Elements()
	if len(els) == 0 {
		r.svc.route(errorReply(st, "cancel", "service-unavailable", "", ""))
		return
	}
	q := els[0]
	switch {
	case q.Name.Space == nsDiscoInfo && q.Name.Local == "query" && typ == "get":
		r.handleDiscoInfo(st, from, q)
	case q.Name.Space == nsDiscoItems && q.Name.Local == "query" && typ == "get":
		r.svc.route(iqResult(st, xmlnode.New(nsDiscoItems, "query")))
	case q.Name.Space == nsMUCAdmin && q.Name.Local == "query":
		if typ == "get" {
			r.handleAdminGet(st, from, q)
		} else {
			r.handleAdminSet(st, from, q)
		}
	case q.Name.Space == nsMUCOwner && q.Name.Local == "query":
		if typ == "get" {
			r.handleOwnerGet(st, from)
		} else {
			r.handleOwnerSet(st, from, q)
		}
	case q.Name.Space == nsRegister && q.Name.Local == "query":
		r.handleRegister(st, from, q)
	case q.Name.Space == nsMAM && q.Name.Local == "query":
		r.handleMAM(st, from, q)
	case q.Name.Space == nsModerate1 && q.Name.Local == "moderate" && typ == "set":
		r.handleModerateV1(st, from, q) // moderate.go
	case q.Name.Space == nsFasten && q.Name.Local == "apply-to" && typ == "set":
		r.handleModerateV0(st, from, q)
	default:
		r.svc.route(errorReply(st, "cancel", "service-unavailable", "", ""))
	}
}
