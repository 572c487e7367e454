package muc

import (
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
}

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
	bare, owned := bareOf(from), 0
	for _, r := range s.rooms {
		if r.affs[bare] == affOwner {
			owned++
		}
	}
	if owned < max {
		return true
	}
	s.route(errorReply(st, "cancel", "not-allowed", "You may not create more rooms", ""))
	return false
}

// roomFull checks the service-wide MaxOccupants for a new occupant with
// affiliation aff.
func (r *room) roomFull(aff affiliation) bool {
	max := r.svc.cfg.Limits.MaxOccupants
	return max > 0 && len(r.occupants) >= max && aff < affAdmin
}
