package muc

import (
	"slices"

	"github.com/muctest/muctest/xmlnode"
)

// The occupant list (XEP-0045 section 7.2.3): a joiner first receives one
// presence per occupant already in the room. In a room of n occupants that
// is n stanzas per join, the bulk of what a join costs; during a burst of
// joins it was most of the garbage the service made (one stanza, <x/> and
// <item/> built per entry and thrown away).
//
// Each occupant therefore keeps its entry ready, in the two forms a joiner
// can get: "anon", one <item/> without real JID, for joiners who may not
// see real JIDs (semi-anonymous room, not a moderator, admin or owner), and
// "full", one <item jid=.../> per session. An entry is built the first time
// a joiner needs it and then routed unchanged to every later joiner with
// routeTo, which addresses it to the joiner without a copy
// (component.AddressedRouter): a join builds nothing per occupant.
//
// An entry says what its occupant looked like when it was built; it is
// checked against the occupant on every use rather than invalidated by the
// code that changes occupants. Everything it shows comes from the stored
// occupant value (the primary session's presence, role, sessions) and the
// room's affiliation of the occupant's bare JID:
//
//   - a presence update, nick change, kick or role change (setRole, an
//     affiliation change's new role, eviction) saves a new occupant value
//     (saveOccupant), which starts without an entry (occupant.copy);
//   - an affiliation change (by an admin, a ban, a domain ban, a service
//     admin's implicit owner) is caught by comparing the affiliation;
//   - a new primary presence or session list, in case a session is changed
//     through a copy that shares it, by comparing them.
//
// The room's anonymity (muc#roomconfig_whois) and the joiner's role and
// affiliation only choose between the two forms, per joiner, as before;
// they do not change either form, so a configuration change needs nothing.

// listEntry is an occupant's presence as the occupant list shows it, with
// what it was built from.
type listEntry struct {
	pres     *xmlnode.Element // the primary session's presence
	sessions []*session       // the sessions whose real JIDs "full" lists
	role     role
	aff      affiliation

	anon *xmlnode.Element // without real JIDs; nil until a joiner needs it
	full *xmlnode.Element // with each session's real JID; nil until needed
}

// current reports whether e still shows occupant o, whose primary presence
// is pres and affiliation aff. Sessions compare by identity: a session's
// JID never changes, and the package never replaces an element of an
// occupant's session list in place (setSession appends, removeSession and
// copy build new lists).
func (e *listEntry) current(o *occupant, pres *xmlnode.Element, aff affiliation) bool {
	return e.pres == pres && e.role == o.role && e.aff == aff && slices.Equal(e.sessions, o.sessions)
}

// listPresence returns occupant o's presence as the occupant list shows it
// to a joiner who may see real JIDs (full) or not; pres is o's primary
// presence. The stanza is shared by every joiner that gets it: it must not
// be changed, only routed with routeTo.
func (r *room) listPresence(o *occupant, pres *xmlnode.Element, full bool) *xmlnode.Element {
	aff := r.affiliation(o.bare)
	e := o.list
	if e == nil || !e.current(o, pres, aff) {
		e = &listEntry{pres: pres, sessions: o.sessions, role: o.role, aff: aff}
		o.list = e
	}
	if full {
		if e.full == nil {
			x := mucUserX()
			r.buildItems(o, x, false, "", "", "", "")
			e.full = withPayload(pres, x)
		}
		return e.full
	}
	if e.anon == nil {
		e.anon = withPayload(pres, anonListX(aff, o.role))
	}
	return e.anon
}

// withPayload returns pres with x appended to its children, as an element
// of its own that shares pres's attributes (none is ever set on either:
// the list routes its entries with routeTo, and a session's presence is
// replaced, not edited) and children. pres's "to" is the session it came
// from; routeTo writes the joiner's instead.
//
// The entry is not frozen: it stays with the occupant for as long as it is
// in the room, where a Freeze copy (attributes, child list, serialised
// bytes) would more than double what an occupant costs the service
// (BenchmarkMUCOccupantMemory: 764 B, 970 B with these entries, 1398 B
// frozen) to save each joiner ~0.1 us of encoding per entry.
func withPayload(pres, x *xmlnode.Element) *xmlnode.Element {
	children := make([]xmlnode.Node, len(pres.Children)+1)
	copy(children, pres.Children)
	children[len(pres.Children)] = x
	return &xmlnode.Element{Name: pres.Name, Attr: pres.Attr, Children: children}
}

// anonListXs holds, for each affiliation and role, the <x/> of an occupant
// list entry without real JID: <x><item affiliation=... role=.../></x>.
// They are the same for every occupant with that affiliation and role, so
// they are built once, frozen (their item serialised once) and shared by
// every entry of every room; nothing ever changes them.
var anonListXs = func() (t [affOwner - affOutcast + 1][roleModerator + 1]*xmlnode.Element) {
	for a := affOutcast; a <= affOwner; a++ {
		for rl := roleNone; rl <= roleModerator; rl++ {
			x := mucUserX()
			addItem(x, a, &rl, "", "", "", "", "")
			t[a-affOutcast][rl] = x.Freeze()
		}
	}
	return t
}()

// anonListX returns the shared <x/> of an entry without real JID.
func anonListX(aff affiliation, rl role) *xmlnode.Element {
	return anonListXs[aff-affOutcast][rl]
}

// sendOccupantList sends the presence of every occupant that passes filter
// to the session to (the start of a join), then, when presence of role
// "none" is broadcast, the affiliated users who are not in the room. The
// occupants' entries are shared stanzas (listPresence): nothing is built
// per occupant once each has its entry.
func (r *room) sendOccupantList(to string, filter func(*occupant) bool) {
	toBare := bareOf(to)
	anonymous := r.isAnonymousFor(to)
	for o := range r.occupantsInOrder() {
		if filter != nil && !filter(o) {
			continue
		}
		if toBare != o.bare && !r.conf.broadcast[o.role] {
			continue
		}
		pr := o.presence("")
		if pr == nil {
			continue
		}
		r.svc.routeTo(r.listPresence(o, pr, !anonymous || toBare == o.bare), to)
	}
	if r.conf.broadcast[roleNone] {
		r.sendAbsentAffiliated(to, anonymous)
	}
}

// sendAbsentAffiliated sends to the session to the unavailable presence of
// every affiliated user who is not in the room, with the reserved
// nickname when there is one (users without one only when to may see real
// JIDs): how a room that broadcasts the presence of role "none" lists its
// members.
func (r *room) sendAbsentAffiliated(to string, anonymous bool) {
	present := make(map[string]bool, len(r.occupants))
	for _, o := range r.occupants {
		present[o.bare] = true
	}
	for _, bare := range r.affOrder {
		nick := r.reserved[bare]
		if (nick == "" && anonymous) || present[bare] {
			continue
		}
		from := r.jid
		if nick != "" {
			from = r.jid + "/" + nick
		}
		p := newStanza("presence", "to", to, "from", from, "type", "unavailable")
		x := child(p, nsMUCUser, "x", "")
		rl := roleNone
		jidAttr := ""
		if !anonymous {
			jidAttr = bare
		}
		addItem(x, r.affs[bare], &rl, jidAttr, nick, "", "", "")
		r.svc.route(p)
	}
}
