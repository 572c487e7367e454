package muc

import (
	"net/netip"

	"github.com/muctest/muctest/archive"
	"github.com/muctest/muctest/xmlnode"
)

// Limits bound what one user can make the service hold, so that a hostile
// account cannot grow it without bound. Zero fields mean no limit (but for
// MaxHistory, see there). Service admins are exempt from the room and
// occupant limits.
type Limits struct {
	// MaxRoomsPerUser bounds how many existing rooms one user (bare JID)
	// may own; creating one more is refused with not-allowed, as XEP-0045
	// section 10.1.1 answers a user who may not create rooms.
	MaxRoomsPerUser int
	// MaxRoomsPerIP bounds how many existing rooms clients at one IP
	// address may have created, whatever account names they log in under
	// (any-password mode makes an account of every name): a creation past
	// it is refused with not-allowed as for MaxRoomsPerUser. The address
	// is the one the router gives with the stanza (component.Origin);
	// rooms created where it is unknown (an external component's stanza,
	// a test's) are not counted.
	MaxRoomsPerIP int
	// MaxAffiliations bounds the affiliations (members, admins, owners,
	// outcasts) one room keeps: an owner's admin request, or an
	// invitation that makes the invitee a member, past it gets
	// resource-constraint (wait) and changes nothing; changing an
	// existing affiliation is always allowed, and service admins are
	// exempt. Without it any occupant allowed to invite could grow a
	// members-only room's list without end.
	MaxAffiliations int
	// MaxOccupants bounds the occupants of every room, whatever the room's
	// own muc#roomconfig_maxusers says; a join beyond it gets
	// service-unavailable (XEP-0045 section 7.2.10, "max users").
	MaxOccupants int
	// MaxHistory caps the messages one room keeps for joining users,
	// whatever its muc#roomconfig_historylength asks for: an owner could
	// otherwise make the service hold any number of messages. Zero means
	// DefaultMaxHistory, Prosody's max_history_messages default.
	MaxHistory int
	// MaxHistoryBytes caps the serialised size of one room's history: the
	// oldest messages go first. A joining user is sent the whole history
	// at once, and a burst larger than its outbound queue limit
	// (c2s.Limits.MaxQueueBytes) would disconnect it. Zero means
	// DefaultMaxHistoryBytes.
	MaxHistoryBytes int
	// MaxHistoryTotalBytes bounds every room's history together: past
	// it a message is still broadcast but kept in no history until rooms
	// go or their history shrinks. Zero means DefaultMaxHistoryTotalBytes,
	// negative no bound.
	MaxHistoryTotalBytes int
	// MaxRooms bounds the rooms of the service; creating one more is
	// refused wait/resource-constraint, as Prosody's mod_muc does when it
	// cannot track a new room (quota.go). MaxRegistered bounds the
	// registered nicknames (section 7.10) of one room.
	MaxRooms, MaxRegistered int
	// Archive bounds each room's XEP-0313 archive (zero fields: 1,000
	// messages, archive.DefaultMaxBytes, no retention); the oldest go
	// first. ArchiveTotalBytes bounds every room's archive together: past
	// it new messages are not archived until rooms go (quota.go).
	Archive           archive.Limits
	ArchiveTotalBytes int64
	// MaxRoomNameBytes and MaxRoomDescBytes bound a room's name and
	// description (muc#roomconfig_roomname, _roomdesc), which every
	// disco#items listing and disco#info of the room repeats: a
	// configuration form over either is refused modify/not-acceptable and
	// changes nothing. Zero means DefaultMaxRoomNameBytes and
	// DefaultMaxRoomDescBytes (configtext.go), negative no bound.
	MaxRoomNameBytes, MaxRoomDescBytes int
}

// The server's MaxRoomsPerIP when its configuration sets none (package
// muc itself takes zero as no limit): DefaultRoomsPerIPFactor times
// MaxRoomsPerUser, room for a few users behind one NAT address, or
// DefaultMaxRoomsPerIP when rooms per user are not bounded (a hundredth of
// quota.DefaultMUCRooms, so that no one address fills the service).
const (
	DefaultRoomsPerIPFactor = 10
	DefaultMaxRoomsPerIP    = 100
)

// DefaultMaxAffiliations is the server's MaxAffiliations when its
// configuration sets none: twice quota.DefaultMUCRegistered, since every
// registered nickname is a member's.
const DefaultMaxAffiliations = 2000

// DefaultMaxHistoryBytes is the history size cap when
// Limits.MaxHistoryBytes is zero: 20 messages of 50 KB.
const DefaultMaxHistoryBytes = 1 << 20

// maxHistoryBytes is the effective history size cap of the service.
func (s *Service) maxHistoryBytes() int {
	if s.cfg.Limits.MaxHistoryBytes > 0 {
		return s.cfg.Limits.MaxHistoryBytes
	}
	return DefaultMaxHistoryBytes
}

// DefaultMaxHistory is the history cap when Limits.MaxHistory is zero.
const DefaultMaxHistory = 20

// maxHistory is the effective history cap of the service.
func (s *Service) maxHistory() int {
	if s.cfg.Limits.MaxHistory > 0 {
		return s.cfg.Limits.MaxHistory
	}
	return DefaultMaxHistory
}

// mayCreateRoom checks MaxRoomsPerUser for the user creating a room and
// answers st with the refusal when over it. s.mu is held.
func (s *Service) mayCreateRoom(st *xmlnode.Element, from string) bool {
	max := s.cfg.Limits.MaxRoomsPerUser
	if max <= 0 || s.isAdmin(from) {
		return true
	}
	if s.ownedBy[bareOf(from)] < max {
		return true
	}
	s.route(errorReply(st, "cancel", "not-allowed", "You may not create more rooms", ""))
	return false
}

// mayCreateFromAddr checks MaxRoomsPerIP for the client address of the
// stanza being handled (s.origin) and answers st with the refusal when
// over it. s.mu is held.
func (s *Service) mayCreateFromAddr(st *xmlnode.Element, from string) bool {
	max := s.cfg.Limits.MaxRoomsPerIP
	if max <= 0 || !s.origin.IsValid() || s.isAdmin(from) || s.roomsByAddr[s.origin] < max {
		return true
	}
	s.route(errorReply(st, "cancel", "not-allowed", "Too many rooms created from your address", ""))
	return false
}

// countCreator records a new room r, just added to s.rooms, as created
// from s.origin, and counts its owners (ownedBy); forget undoes both
// (uncountCreator) when the room goes. s.mu is held.
func (s *Service) countCreator(r *room) {
	if s.origin.IsValid() {
		r.createdFrom = s.origin
		s.roomsByAddr[s.origin]++
	}
	for bare, a := range r.affs {
		if a == affOwner {
			s.ownedBy[bare]++
		}
	}
}

// ownerChange keeps ownedBy in step when bare's affiliation with r goes
// from old to a, for a room of the service (one being created is counted
// by countCreator once it is). s.mu is held.
func (s *Service) ownerChange(r *room, bare string, old, a affiliation) {
	if old == a || (old != affOwner && a != affOwner) || s.rooms[r.jid] != r {
		return
	}
	if a == affOwner {
		s.ownedBy[bare]++
	} else {
		s.uncountOwner(bare)
	}
}

func (s *Service) uncountOwner(bare string) {
	if n := s.ownedBy[bare] - 1; n > 0 {
		s.ownedBy[bare] = n
	} else {
		delete(s.ownedBy, bare)
	}
}

func (s *Service) uncountCreator(r *room) {
	if s.rooms[r.jid] == r {
		for bare, a := range r.affs {
			if a == affOwner {
				s.uncountOwner(bare)
			}
		}
	}
	if !r.createdFrom.IsValid() {
		return
	}
	if n := s.roomsByAddr[r.createdFrom] - 1; n > 0 {
		s.roomsByAddr[r.createdFrom] = n
	} else {
		delete(s.roomsByAddr, r.createdFrom)
	}
	r.createdFrom = netip.Addr{}
}

// roomFull checks the service-wide MaxOccupants for a new occupant with
// affiliation aff.
func (r *room) roomFull(aff affiliation) bool {
	max := r.svc.cfg.Limits.MaxOccupants
	return max > 0 && len(r.occupants) >= max && aff < affAdmin
}

// affiliationsFull reports whether giving target affiliation a in r would
// take the room past MaxAffiliations (actor, when set, is who asks: a
// service admin is exempt). s.mu is held.
func (r *room) affiliationsFull(actor, target string, a affiliation) bool {
	max := r.svc.cfg.Limits.MaxAffiliations
	if max <= 0 || a == affNone || len(r.affs) < max || (actor != "" && r.svc.isAdmin(actor)) {
		return false
	}
	_, had := r.affs[target]
	return !had
}
