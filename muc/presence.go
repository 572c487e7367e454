package muc

import (
	"strings"

	"github.com/muctest/muctest/xmlnode"
)

// mucUserX returns an empty muc#user <x/>, the payload of every presence
// the room sends about an occupant.
func mucUserX() *xmlnode.Element { return xmlnode.New(nsMUCUser, "x") }

// addStatus appends <status code=.../> to x.
func addStatus(x *xmlnode.Element, code string) { child(x, nsMUCUser, "status", "", "code", code) }

// addItem appends an <item/> (with optional actor and reason) to x.
func addItem(x *xmlnode.Element, aff affiliation, rl *role, realJID, nick, actorNick, actorJID, reason string) {
	item := child(x, nsMUCUser, "item", "", "affiliation", aff.String())
	if rl != nil {
		item.SetAttr("role", rl.String())
	}
	if realJID != "" {
		item.SetAttr("jid", realJID)
	}
	if nick != "" {
		item.SetAttr("nick", nick)
	}
	if actorNick != "" || actorJID != "" {
		child(item, nsMUCUser, "actor", "", "nick", actorNick, "jid", actorJID)
	}
	if reason != "" {
		child(item, nsMUCUser, "reason", reason)
	}
}

// buildItems appends o's items to x: one without a JID for anonymous
// recipients, else one per session carrying its real JID.
func (r *room) buildItems(o *occupant, x *xmlnode.Element, anonymous bool, nick, actorNick, actorJID, reason string) {
	aff := r.affiliation(o.bare)
	rl := o.role
	if anonymous {
		addItem(x, aff, &rl, "", nick, actorNick, actorJID, reason)
		return
	}
	for _, s := range o.sessions {
		addItem(x, aff, &rl, s.jid, nick, actorNick, actorJID, reason)
	}
}

// presenceChange describes one broadcast of an occupant's presence
// (Prosody's publicise_occupant_status arguments).
type presenceChange struct {
	x        *xmlnode.Element // muc#user payload before items (status codes, destroy)
	selfX    *xmlnode.Element // payload for the occupant itself, when it differs from x
	nick     string           // new nickname (status 303)
	actor    string           // real full JID of the moderator who caused it
	reason   string
	prevRole role
	force    bool      // send unavailable even where presence broadcast is off
	to       *occupant // only to this occupant (probe answers)
}

// publicise broadcasts o's presence to the room: every other occupant gets
// the form it may see (real JIDs or not), then o's own sessions get theirs
// with status 110.
func (r *room) publicise(o *occupant, c presenceChange) {
	if c.x == nil {
		c.x = mucUserX()
	}
	var base *xmlnode.Element
	if pr := o.presence(""); pr != nil && (o.role != roleNone || pr.Attrib("type") == "unavailable") && !c.force {
		// Shallow copies (here and for each form below): only the
		// top-level child lists change (occupant-id restamped, <x/>
		// appended); the presence's own children are never edited.
		base = pr.ShallowCopy()
	} else {
		base = newStanza("presence", "from", o.nick, "type", "unavailable")
	}
	if c.to == nil {
		r.stampOccupantID(base, o.bare)
	}
	actorNick := ""
	if c.actor != "" {
		actorNick = resourceOf(r.occupantJID(c.actor))
	}

	// The forms others get are each routed to many occupants when the
	// presence is broadcast: their payload is serialised once (Freeze).
	freeze := func(p *xmlnode.Element) *xmlnode.Element {
		if c.to != nil {
			return p
		}
		return p.Freeze()
	}
	var fullP, anonP *xmlnode.Element
	getFull := func() *xmlnode.Element {
		if fullP == nil {
			x := c.x.Copy()
			r.buildItems(o, x, false, c.nick, actorNick, c.actor, c.reason)
			fullP = freeze(base.ShallowCopy().Append(x))
		}
		return fullP
	}
	getAnon := func() *xmlnode.Element {
		if anonP == nil {
			x := c.x.Copy()
			r.buildItems(o, x, true, c.nick, actorNick, "", c.reason)
			anonP = freeze(base.ShallowCopy().Append(x))
		}
		return anonP
	}
	selfX := c.x
	if c.selfX != nil {
		selfX = c.selfX
	}
	selfX = selfX.Copy()
	r.buildItems(o, selfX, false, c.nick, actorNick, "", c.reason)
	selfP := base.ShallowCopy().Append(selfX.Copy())

	forRecipient := func(rec *occupant) *xmlnode.Element {
		switch {
		case r.canSeeRealJIDs(rec):
			return getFull()
		case o.bare == rec.bare:
			return selfP
		}
		return getAnon()
	}

	if c.to != nil {
		r.routeToOccupant(c.to, forRecipient(c.to))
		return
	}

	for rec := range r.occupantsInOrder() {
		if rec.nick == o.nick {
			continue
		}
		pr := forRecipient(rec)
		if r.conf.broadcast[o.role] || c.force {
			r.routeToOccupant(rec, pr)
		} else if c.prevRole != roleNone && r.conf.broadcast[c.prevRole] {
			pr.SetAttr("type", "unavailable")
			r.routeToOccupant(rec, pr)
		}
	}

	addStatus(selfX, "110")
	if o.role == roleNone {
		r.routeToOccupant(o, base.ShallowCopy().Append(selfX))
		return
	}
	for _, s := range o.sessions {
		r.svc.route(addressedCopy(s.pres, s.jid).Append(selfX.Copy()))
	}
}

// handlePresenceToOccupant handles presence sent to room@service/nick.
func (r *room) handlePresenceToOccupant(st *xmlnode.Element, from string) {
	switch typ := st.Attrib("type"); typ {
	case "error":
		r.handleKickable(st, from)
	case "", "unavailable", "probe":
		r.handleNormalPresence(st, from)
	case "result", "visible", "invisible":
	default:
		r.svc.route(errorReply(st, "modify", "bad-request", "", r.jid))
	}
}

// handlePresenceToRoom handles presence sent to the bare room JID: some
// clients send their updates (or their leave) there instead of to their
// nickname, so an occupant's presence is treated as sent to its nickname.
func (r *room) handlePresenceToRoom(st *xmlnode.Element, from string) {
	nick := r.occupantJID(from)
	if nick == "" {
		return
	}
	to := st.Attrib("to")
	st.SetAttr("to", nick)
	r.handlePresenceToOccupant(st, from)
	st.SetAttr("to", to)
}

// handleKickable removes the session from that bounced an error to the
// room (status 333): it is evidently gone.
func (r *room) handleKickable(st *xmlnode.Element, from string) {
	o := r.occupantByReal(from)
	if o == nil {
		return
	}
	cond, text := stanzaError(st)
	msg := "Kicked: presence error"
	if cond != "" {
		msg = "Kicked: " + strings.ReplaceAll(cond, "-", " ")
	}
	if text != "" && r.conf.whois == whoisAnyone {
		msg += ": " + text
	}
	o = o.copy()
	unavail := newStanza("presence", "type", "unavailable")
	child(unavail, nsClient, "status", msg)
	o.setSession(from, unavail)
	origRole := o.role
	last := o.primary == from
	if last {
		o.role = roleNone
	}
	saved := r.saveOccupant(o)
	x := mucUserX()
	if last {
		addStatus(x, "333")
	}
	target := o
	if saved != nil {
		target = saved
	}
	r.publicise(target, presenceChange{x: x, prevRole: origRole})
	if last {
		r.occupantLeft()
	}
}

// respondToProbe answers a presence probe from an occupant with the probed
// occupant's presence (or a registered user's unavailable presence).
func (r *room) respondToProbe(st *xmlnode.Element, from string, prober *occupant) {
	if prober == nil {
		r.svc.route(errorReply(st, "cancel", "not-acceptable", "You are not currently connected to this chat", r.jid))
		return
	}
	target := st.Attrib("to")
	probed := r.occupantByNick(target)
	if probed == nil {
		nick := resourceOf(target)
		owner := r.registeredJID(nick)
		if owner == "" {
			return
		}
		p := newStanza("presence", "to", from, "from", target, "type", "unavailable")
		x := child(p, nsMUCUser, "x", "")
		rl := roleNone
		jidAttr := ""
		if !r.isAnonymousFor(from) {
			jidAttr = owner
		}
		addItem(x, r.affiliation(owner), &rl, jidAttr, nick, "", "", "")
		r.svc.route(p)
		return
	}
	r.publicise(probed, presenceChange{to: prober})
}

// handleNormalPresence is the heart of XEP-0045 presence handling (a port
// of Prosody's handle_normal_presence): joining, presence updates, nick
// changes (also between sessions of one user) and leaving.
func (r *room) handleNormalPresence(st *xmlnode.Element, from string) {
	typ := st.Attrib("type")
	bare := bareOf(from)
	orig := r.occupantByReal(from)
	mucX := st.Child(nsMUC, "x")
	to := st.Attrib("to")

	if orig == nil && mucX == nil && typ == "" {
		r.svc.route(errorReply(st, "cancel", "item-not-found", "You are not currently connected to this chat", r.jid))
		return
	}

	var dest *occupant
	firstDestSession := false
	switch {
	case typ == "unavailable":
		if orig == nil {
			return
		}
	case typ == "probe":
		r.respondToProbe(st, from, orig)
		return
	case orig != nil && orig.nick == to:
		dest = orig // presence update
	default:
		dest = r.occupantByNick(to)
		if dest == nil {
			firstDestSession = true
			dest = newOccupant(bare, to)
			dest.role = r.defaultRole(r.affiliation(bare))
			if orig != nil {
				dest.role = orig.role
			}
		}
	}
	lastOrigSession := false
	if orig != nil {
		lastOrigSession = len(orig.sessions) < 2
	}

	// The checks a join or a change must pass (Prosody's pre-join and
	// pre-change events); a join may be moved to a reserved nickname.
	askedNick := ""
	if dest != nil {
		askedNick = dest.nick
	}
	switch {
	case orig == nil:
		if !r.checkJoin(st, from, dest, firstDestSession, false) {
			return
		}
	case dest != nil:
		if !r.checkNickChange(st, from, dest) {
			return
		}
	}
	if dest != nil && dest.nick != askedNick {
		// Moved to the user's reserved nickname, which may be taken.
		if other := r.occupantByNick(dest.nick); other != nil {
			dest, firstDestSession = other, false
		}
	}
	if dest != nil {
		r.stampOccupantID(st, bare)
	}

	if dest != nil && !firstDestSession && bare != dest.bare {
		r.svc.route(errorReply(st, "cancel", "conflict", "", r.jid))
		return
	}
	if dest != nil && dest != orig {
		dest = dest.copy()
	}

	if orig != nil && orig != dest {
		r.leaveOccupant(st, from, orig, dest, firstDestSession, lastOrigSession)
	}
	if dest == nil {
		return
	}
	// A join, or a client that rejoins with <x/> (e.g. after losing its
	// state), gets the occupant list, history and subject.
	sendRoomState := orig == nil || mucX != nil
	r.enterOccupant(st, from, orig, dest, askedNick, lastOrigSession, sendRoomState)
}

// leaveOccupant takes session from out of its occupant orig, which it
// leaves for dest (nil: the session is leaving the room): presence
// unavailable, with status 303 and the new nickname for a nick change (only
// to this session when other sessions stay under orig's nickname).
// firstDestSession says whether dest is a new occupant, lastOrigSession
// whether from was orig's only session.
func (r *room) leaveOccupant(st *xmlnode.Element, from string, orig, dest *occupant, firstDestSession, lastOrigSession bool) {
	bare := bareOf(from)
	orig = orig.copy()
	origX := mucUserX()
	origRole := orig.role
	destNick := ""
	if dest == nil { // the session is leaving
		if lastOrigSession {
			orig.role = roleNone
		}
		orig.setSession(from, st)
	} else {
		unavail := newStanza("presence", "from", orig.nick, "to", from, "type", "unavailable")
		orig.setSession(from, unavail)
		destNick = resourceOf(dest.nick)
		if !firstDestSession {
			// Swapping into another session's nickname: show that
			// nickname leaving first.
			x := mucUserX()
			none := roleNone
			addItem(x, r.affiliation(bare), &none, "", "", "", "", "")
			pr := newStanza("presence", "from", dest.nick, "to", from, "type", "unavailable")
			child(pr, nsClient, "status", "you are joining pre-existing session "+destNick)
			pr.Append(x)
			r.svc.route(pr)
		}
		if firstDestSession && lastOrigSession {
			addStatus(origX, "303") // a plain nick change
		} else {
			// Only this session changes nick: it alone sees 303.
			orig.removeSession(from)
			x := mucUserX()
			rl := orig.role
			addItem(x, r.affiliation(bare), &rl, from, destNick, "", "", "")
			addStatus(x, "303")
			addStatus(x, "110")
			r.svc.route(unavail.Copy().Append(x))
			destNick = ""
		}
	}
	r.saveOccupant(orig)
	r.publicise(orig, presenceChange{x: origX, nick: destNick, prevRole: origRole})
	if lastOrigSession && dest == nil {
		// Only a real leave may empty the room: Prosody 0.12 also
		// checks on a nick change, and so destroys a temporary room
		// whose only occupant renames itself.
		r.occupantLeft()
	}
}

// enterOccupant puts session from into occupant dest (a new occupant, one
// of the same user's, or orig itself for a presence update) and broadcasts
// it: status 100 for a join to a non-anonymous room, 210 when the service
// changed the nickname asked for (askedNick), and, when the user split
// nicknames, the original one still present. sendRoomState sends the
// occupant list, history and subject as for a join.
func (r *room) enterOccupant(st *xmlnode.Element, from string, orig, dest *occupant, askedNick string, lastOrigSession, sendRoomState bool) {
	if dest == orig {
		dest = dest.copy()
	}
	dest.setSession(from, st)
	r.saveOccupant(dest)
	if sendRoomState {
		r.sendOccupantList(from, func(o *occupant) bool { return o.presence(from) == nil })
	}
	destX := mucUserX()
	selfX := mucUserX()
	if orig == nil && r.conf.whois == whoisAnyone {
		addStatus(selfX, "100")
	}
	if dest.nick != askedNick {
		addStatus(selfX, "210")
	}
	prev := roleNone
	if orig != nil {
		prev = orig.role
	}
	r.publicise(dest, presenceChange{x: destX, selfX: selfX, prevRole: prev})

	if orig != nil && orig.nick != dest.nick && !lastOrigSession {
		// The user split nicknames: show the original one still present.
		if o := r.occupantByNick(orig.nick); o != nil {
			pr := o.presence("").Copy()
			pr.SetAttr("to", from)
			x := mucUserX()
			r.buildItems(o, x, false, "", "", "", "")
			pr.Append(x)
			r.svc.route(pr)
		}
	}
	if sendRoomState {
		r.sendHistory(st, from)
		r.sendSubject(from)
	}
}
