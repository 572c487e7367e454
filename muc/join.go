package muc

import "github.com/muctest/muctest/xmlnode"

// createRoom handles the first MUC join to a room that does not exist: the
// room is created with the joiner as owner, locked until configured
// (XEP-0045 section 10.1), and the joiner enters with status 201.
func (s *Service) createRoom(roomJID string, st *xmlnode.Element, from string, to address) {
	if s.roomsFull(st, from) || !s.mayCreateRoom(st, from) || !s.mayCreateFromAddr(st, from) {
		return
	}
	r := newRoom(s, roomJID)
	r.lock()
	r.setAffiliationRaw(bareOf(from), affOwner)
	if pw := st.Child(nsMUC, "x").ChildText(nsMUC, "password"); pw != "" {
		r.conf.password = pw
	}
	o := newOccupant(bareOf(from), to.String())
	o.role = r.defaultRole(r.affiliation(from))
	if !r.checkJoin(st, from, o, true, true) {
		return
	}
	// (A new room has no reservations, so the nickname is the one asked for.)
	s.rooms[roomJID] = r
	s.countCreator(r)
	s.relist(r)
	r.stampOccupantID(st, o.bare)
	o.setSession(from, st)
	x := mucUserX()
	addStatus(x, "201")
	if r.conf.whois == whoisAnyone {
		addStatus(x, "100")
	}
	r.saveOccupant(o)
	r.publicise(o, presenceChange{x: x})
	r.sendHistory(st, from)
	r.sendSubject(from)
}

// checkJoin runs the checks a new occupant must pass, in Prosody's order,
// and answers the first failure with its error. o is the occupant being
// created; first says whether it is a new nickname (not a second session);
// newRoom is set for the creating join.
func (r *room) checkJoin(st *xmlnode.Element, from string, o *occupant, first, newRoom bool) bool {
	fail := func(typ, cond, text, by string) bool {
		r.svc.route(errorReply(st, typ, cond, text, by))
		return false
	}
	nick := o.nickname()
	if !validNick(nick) {
		return fail("modify", "jid-malformed", "Nickname must pass strict validation", r.jid)
	}
	if !visibleNick(nick) {
		return fail("modify", "not-allowed", "Invisible Nicknames are forbidden", r.jid)
	}
	if owner := r.registeredJID(nick); owner != "" && owner != bareOf(from) {
		return fail("cancel", "conflict", "", r.jid)
	}
	if reserved := r.reserved[bareOf(from)]; reserved != "" && r.svc.cfg.EnforceReservedNicks && first {
		o.nick = r.jid + "/" + reserved
	}
	aff := r.affiliation(from)
	if r.conf.membersOnly && aff <= affNone {
		return fail("auth", "registration-required", "", r.jid)
	}
	if aff == affOutcast {
		return fail("auth", "forbidden", "", r.jid)
	}
	if r.conf.password != "" {
		if x := st.Child(nsMUC, "x"); x != nil && x.ChildText(nsMUC, "password") != r.conf.password {
			return fail("auth", "not-authorized", "", r.jid)
		}
	}
	if first && (r.conf.maxUsers > 0 && len(r.occupants) >= r.conf.maxUsers && aff < affAdmin || r.roomFull(aff)) {
		return fail("cancel", "service-unavailable", "", r.jid)
	}
	if !newRoom && r.isLocked() {
		return fail("cancel", "item-not-found", "", r.svc.cfg.Domain)
	}
	return true
}

// checkNickChange runs the checks on the nickname an occupant moves to (or
// keeps, for a presence update).
func (r *room) checkNickChange(st *xmlnode.Element, from string, dest *occupant) bool {
	nick := dest.nickname()
	switch {
	case !validNick(nick):
		r.svc.route(errorReply(st, "modify", "jid-malformed", "Nickname must pass strict validation", r.jid))
		return false
	case !visibleNick(nick):
		r.svc.route(errorReply(st, "modify", "not-allowed", "Invisible Nicknames are forbidden", r.jid))
		return false
	}
	if owner := r.registeredJID(nick); owner != "" && owner != bareOf(from) {
		r.svc.route(errorReply(st, "cancel", "conflict", "", r.jid))
		return false
	}
	if reserved := r.reserved[bareOf(from)]; reserved != "" && r.svc.cfg.EnforceReservedNicks && reserved != nick {
		r.svc.route(errorReply(st, "cancel", "not-acceptable", "", r.jid))
		return false
	}
	return true
}
