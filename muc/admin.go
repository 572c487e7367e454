package muc

import (
	"strings"

	"github.com/muctest/muctest/xmlnode"
)

// handleAdminSet applies a muc#admin item: an affiliation change (member,
// admin, owner lists, bans, optionally reserving a nickname) or a role
// change (kick, voice, moderator).
func (r *room) handleAdminSet(st *xmlnode.Element, from string, q *xmlnode.Element) {
	items := q.Elements()
	if len(items) == 0 {
		r.svc.route(errorReply(st, "cancel", "bad-request", "", ""))
		return
	}
	item := items[0]
	itemJID, ok := r.prepOptionalJID(st, item.Attrib("jid"))
	if !ok {
		return
	}
	if strings.Contains(itemJID, "/") {
		r.svc.route(errorReply(st, "modify", "jid-malformed", "Bare JID expected, got full JID", ""))
		return
	}
	nick := item.Attrib("nick")
	if nick != "" {
		n, ok := prepNick(nick)
		if !ok {
			r.svc.route(errorReply(st, "modify", "jid-malformed", "invalid nickname", ""))
			return
		}
		nick = n
	}
	affAttr, roleAttr := item.Attrib("affiliation"), item.Attrib("role")
	if itemJID == "" && nick != "" {
		// Some clients name the occupant instead of the user.
		if o := r.occupantByNick(r.jid + "/" + nick); o != nil {
			itemJID = o.bare
		}
	} else if roleAttr != "" && nick == "" && itemJID != "" {
		if n := r.occupantJID(itemJID); n != "" {
			nick = resourceOf(n)
		}
	}
	reason := item.ChildText("", "reason")
	var errType, errCond string
	switch {
	case affAttr != "" && itemJID != "" && roleAttr == "":
		var reserve *string
		if nick != "" {
			roomNick := r.jid + "/" + nick
			if o := r.occupantByNick(roomNick); o != nil && o.bare != itemJID {
				r.setRole("", roomNick, "none", "This nickname is reserved")
			}
			reserve = &nick
		}
		errType, errCond = r.setAffiliation(from, itemJID, affAttr, reason, reserve, false)
	case roleAttr != "" && nick != "" && affAttr == "":
		errType, errCond = r.setRole(from, r.jid+"/"+nick, roleAttr, reason)
	default:
		errType, errCond = "cancel", "bad-request"
	}
	if errCond != "" {
		r.svc.route(errorReply(st, errType, errCond, "", ""))
		return
	}
	r.svc.route(reply(st))
}

// handleAdminGet returns an affiliation list (to admins and owners, or to
// members of a non-anonymous members-only room) or a role list (to
// moderators).
func (r *room) handleAdminGet(st *xmlnode.Element, from string, q *xmlnode.Element) {
	actorAff := r.affiliation(from)
	items := q.Elements()
	if len(items) == 0 {
		r.svc.route(errorReply(st, "cancel", "bad-request", "", ""))
		return
	}
	item := items[0]
	affAttr, roleAttr := item.Attrib("affiliation"), item.Attrib("role")
	if aff, ok := parseAffiliation(affAttr); ok && affAttr != "" && roleAttr == "" {
		if (actorAff >= affAdmin && actorAff >= aff) ||
			(r.conf.membersOnly && r.conf.whois == whoisAnyone && actorAff >= affMember) {
			res := xmlnode.New(nsMUCAdmin, "query")
			for _, bare := range r.affOrder {
				if r.affs[bare] != aff {
					continue
				}
				it := child(res, nsMUCAdmin, "item", "", "affiliation", affAttr, "jid", bare, "nick", r.reserved[bare])
				if why := r.banReasons[bare]; why != "" && aff == affOutcast {
					child(it, nsMUCAdmin, "reason", why)
				}
			}
			r.svc.route(iqResult(st, res))
			return
		}
		r.svc.route(errorReply(st, "auth", "forbidden", "", ""))
		return
	}
	if rl, ok := parseRole(roleAttr); ok && roleAttr != "" && affAttr == "" {
		actorRole := r.defaultRole(actorAff)
		if o := r.occupantByReal(from); o != nil {
			actorRole = o.role
		}
		if actorRole < roleModerator {
			r.svc.route(errorReply(st, "auth", "forbidden", "", ""))
			return
		}
		res := xmlnode.New(nsMUCAdmin, "query")
		for _, o := range r.eachOccupant() {
			if o.role == rl {
				r.buildItemsNS(o, res, o.nickname())
			}
		}
		r.svc.route(iqResult(st, res))
		return
	}
	r.svc.route(errorReply(st, "cancel", "bad-request", "", ""))
}

// buildItemsNS appends o's items (with real JIDs and nick) to a muc#admin
// query.
func (r *room) buildItemsNS(o *occupant, q *xmlnode.Element, nick string) {
	aff := r.affiliation(o.bare)
	for _, s := range o.sessions {
		child(q, nsMUCAdmin, "item", "", "affiliation", aff.String(), "role", o.role.String(), "jid", s.jid, "nick", nick)
	}
}

// setAffiliation changes the affiliation of bare JID target (actor "" is
// the room itself, e.g. registration). reserve, when set, becomes the
// user's reserved nickname; clearData drops it. Occupants of that user
// get their new role (kicked with 301 or 321 when it is none); when the
// user is not in the room, the occupants who may see it are told by
// message. It returns the error to answer with, if any.
func (r *room) setAffiliation(actor, target, affName, reason string, reserve *string, clearData bool) (errType, errCond string) {
	host := target
	isHostOnly := !strings.Contains(target, "@")
	if !isHostOnly {
		host = target[strings.IndexByte(target, '@')+1:]
	}
	aff, ok := parseAffiliation(affName)
	if !ok {
		return "modify", "not-acceptable"
	}
	if aff != affOwner && r.svc.isAdmin(target) {
		return "modify", "not-acceptable"
	}
	current := r.affs[target]
	isDowngrade := current > aff
	if actor != "" {
		actorAff := r.affiliation(actor)
		if actorAff == affOwner {
			if bareOf(actor) == target && isDowngrade {
				last := true
				for _, j := range r.affOrder {
					if r.affs[j] == affOwner && j != target {
						last = false
						break
					}
				}
				if last {
					return "cancel", "conflict"
				}
			}
		} else if aff == affOwner || aff == affAdmin || actorAff != affAdmin || current == affOwner || current == affAdmin {
			return "cancel", "not-allowed"
		}
	}

	if r.affiliationsFull(actor, target, aff) { // limits.go
		return "wait", "resource-constraint"
	}
	r.setAffiliationRaw(target, aff)
	r.keepBanReason(target, aff, reason)
	switch {
	case aff == affNone || clearData:
		r.setReserved(target, "")
	case reserve != nil:
		r.setReserved(target, *reserve)
	}

	newRole := r.defaultRole(aff)
	type update struct {
		o       *occupant
		oldRole role
	}
	var updated []update
	for _, o := range r.eachOccupant() {
		if o.bare != target && !(isHostOnly && aff == affOutcast && strings.HasSuffix(o.bare, "@"+host)) {
			continue
		}
		o = o.copy()
		old := o.role
		if o.role != newRole && (isDowngrade || o.role < newRole) {
			o.role = newRole
			r.saveOccupant(o)
		}
		updated = append(updated, update{o, old})
	}

	x := mucUserX()
	if newRole == roleNone {
		if aff == affOutcast {
			addStatus(x, "301")
		} else {
			addStatus(x, "321")
		}
	}
	semiAnon := r.conf.whois == whoisModerators
	if len(updated) > 0 {
		for _, u := range updated {
			r.publicise(u.o, presenceChange{x: x, actor: actor, reason: reason, prevRole: u.oldRole})
			switch {
			case u.o.role == roleNone:
				r.occupantLeft()
			case semiAnon && (u.oldRole == roleModerator) != (u.o.role == roleModerator):
				// Seeing real JIDs changed: resend everyone's presence.
				for _, s := range u.o.sessions {
					r.sendOccupantList(s.jid, func(o *occupant) bool { return o.bare != target })
				}
			}
		}
		return "", ""
	}
	m := newStanza("message", "from", r.jid)
	mx := x.Copy()
	addItem(mx, aff, nil, target, "", "", "", reason)
	m.Append(mx)
	minRole := roleNone
	if semiAnon {
		minRole = roleModerator
	}
	r.broadcast(m, func(o *occupant) bool { return o.role >= minRole })
	return "", ""
}

// setRole changes the role of the occupant at in-room JID nick (actor ""
// is the room itself). Role none is a kick (status 307).
func (r *room) setRole(actor, nick, roleName, reason string) (errType, errCond string) {
	o := r.occupantByNick(nick)
	if o == nil {
		return "modify", "item-not-found"
	}
	rl, ok := parseRole(roleName)
	if !ok {
		return "modify", "not-acceptable"
	}
	if actor != "" {
		if t, c := r.maySetRole(actor, o, rl); c != "" {
			return t, c
		}
	}
	x := mucUserX()
	if rl == roleNone {
		addStatus(x, "307")
	}
	o = o.copy()
	prev := o.role
	o.role = rl
	r.saveOccupant(o)
	r.publicise(o, presenceChange{x: x, actor: actor, reason: reason, prevRole: prev})
	if rl == roleNone {
		r.occupantLeft()
	}
	return "", ""
}

// maySetRole applies XEP-0045's rules on who may change whose role.
func (r *room) maySetRole(actor string, o *occupant, rl role) (errType, errCond string) {
	actorAff := r.affiliation(actor)
	if actorAff < r.affiliation(o.bare) {
		return "cancel", "not-allowed"
	}
	if (o.role == roleModerator || rl == roleModerator) && actorAff != affOwner && actorAff != affAdmin {
		return "cancel", "not-allowed"
	}
	if a := r.occupantByReal(actor); a == nil || a.role != roleModerator {
		return "cancel", "not-allowed"
	}
	return "", ""
}
