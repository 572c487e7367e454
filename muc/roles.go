package muc

import "strings"

// role is an occupant's role in a room (XEP-0045 section 5.1): temporary,
// lasting for one visit. The order is the rank used in permission checks.
type role int8

const (
	roleNone role = iota
	roleVisitor
	roleParticipant
	roleModerator
)

var roleNames = [...]string{"none", "visitor", "participant", "moderator"}

func (r role) String() string { return roleNames[r] }

// parseRole maps a wire value to a role.
func parseRole(s string) (role, bool) {
	for i, n := range roleNames {
		if n == s {
			return role(i), true
		}
	}
	return roleNone, false
}

// affiliation is a user's long-lived standing in a room (XEP-0045 section
// 5.2), keyed by bare JID. The order is the rank used in permission checks.
type affiliation int8

const (
	affOutcast affiliation = iota - 1
	affNone
	affMember
	affAdmin
	affOwner
)

func (a affiliation) String() string {
	switch a {
	case affOutcast:
		return "outcast"
	case affMember:
		return "member"
	case affAdmin:
		return "admin"
	case affOwner:
		return "owner"
	}
	return "none"
}

// parseAffiliation maps a wire value to an affiliation.
func parseAffiliation(s string) (affiliation, bool) {
	switch s {
	case "outcast":
		return affOutcast, true
	case "none":
		return affNone, true
	case "member":
		return affMember, true
	case "admin":
		return affAdmin, true
	case "owner":
		return affOwner, true
	}
	return affNone, false
}

// affiliation returns the affiliation of the (full or bare) JID j: service
// admins are owners everywhere, and a banned domain bans its users.
func (r *room) affiliation(j string) affiliation {
	bare := bareOf(j)
	if r.svc.isAdmin(bare) {
		return affOwner
	}
	if a, ok := r.affs[bare]; ok {
		return a
	}
	host := bare
	if i := strings.IndexByte(bare, '@'); i >= 0 {
		host = bare[i+1:]
	}
	if a, ok := r.affs[host]; ok && a == affOutcast {
		return affOutcast
	}
	return affNone
}

// defaultRole is the role an occupant with affiliation a gets on entry:
// nobody unaffiliated in a members-only room, visitors in a moderated room,
// moderators for admins and owners.
func (r *room) defaultRole(a affiliation) role {
	switch {
	case a == affNone && r.conf.membersOnly:
		return roleNone
	case a == affNone && r.conf.moderated:
		return roleVisitor
	case a >= affAdmin:
		return roleModerator
	case a >= affNone:
		return roleParticipant
	}
	return roleNone
}

// canSeeRealJIDs says whether occupant o may see real JIDs under the
// room's whois setting.
func (r *room) canSeeRealJIDs(o *occupant) bool {
	if r.conf.whois == whoisAnyone {
		return true
	}
	return o.role >= roleModerator
}

// isAnonymousFor says whether real JIDs are hidden from the user j.
func (r *room) isAnonymousFor(j string) bool {
	if r.conf.whois == whoisAnyone {
		return false
	}
	if a := r.affiliation(j); a == affAdmin || a == affOwner {
		return false
	}
	if o := r.occupantByReal(j); o != nil && r.canSeeRealJIDs(o) {
		return false
	}
	return true
}
