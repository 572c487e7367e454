package muc

// The service's room listing (XEP-0045 section 6.3: disco#items on the
// service) over every public room: an index kept sorted as rooms change,
// copied under the service's lock and made into the answer once the lock
// is let go, so that a listing of quota.DefaultMUCRooms rooms keeps every
// room waiting for one copy of a slice, not for a visit of every room, a
// sort and ten thousand items (issue 11).

import (
	"slices"
	"strings"

	"github.com/muctest/muctest/xmlnode"
)

// listedRoom is one entry of the listing: what its item says.
type listedRoom struct {
	jid, name string
}

// listing is the index behind the service's room list: the public,
// unlocked rooms sorted by address with their names, kept up to date as
// rooms are made, configured, unlocked and forgotten (relist), so that a
// listing copies one slice under the lock instead of visiting every room.
// Public rooms still locked wait in lockedPublic, whose locks may time out
// unseen (isLocked unlocks lazily): a listing looks at them first.
type listing struct {
	rooms        []listedRoom
	lockedPublic map[string]*room
}

// relist puts r where the listing wants it after a change to whether it
// exists, is public or locked, or to its name. The lock is held.
func (s *Service) relist(r *room) {
	exists := s.rooms[r.jid] == r
	l := &s.listed
	i, found := slices.BinarySearchFunc(l.rooms, r.jid, func(e listedRoom, j string) int { return strings.Compare(e.jid, j) })
	switch want := exists && r.conf.public && !r.locked; {
	case want && found:
		l.rooms[i].name = r.conf.name
	case want:
		l.rooms = slices.Insert(l.rooms, i, listedRoom{jid: r.jid, name: r.conf.name})
	case found:
		l.rooms = slices.Delete(l.rooms, i, i+1)
	}
	if exists && r.conf.public && r.locked {
		if l.lockedPublic == nil {
			l.lockedPublic = make(map[string]*room)
		}
		l.lockedPublic[r.jid] = r
	} else {
		delete(l.lockedPublic, r.jid)
	}
}

// publicRooms returns the rooms a disco#items on the service lists (public
// and unlocked), sorted by address: a copy of the listing, which the
// caller may use without the lock. The lock is held; the public rooms
// still locked are asked first, which unlocks (and lists) those whose
// lock timed out, as a visit of every room did.
func (s *Service) publicRooms() []listedRoom {
	for _, r := range s.listed.lockedPublic {
		r.isLocked()
	}
	return slices.Clone(s.listed.rooms)
}

// roomItems makes the disco#items answer of a listing (sorted by
// address). It needs no lock.
func roomItems(rooms []listedRoom) *xmlnode.Element {
	res := xmlnode.New(nsDiscoItems, "query")
	res.Children = slices.Grow(res.Children, len(rooms))
	for _, r := range rooms {
		child(res, nsDiscoItems, "item", "", "jid", r.jid, "name", r.name)
	}
	return res
}

// afterUnlock runs fn once the stanza being handled lets go of the
// service's lock (HandleStanzaFrom), in the same goroutine and before
// HandleStanzaFrom returns: for work on a snapshot that needs no lock.
// The lock is held.
func (s *Service) afterUnlock(fn func()) {
	s.deferred = append(s.deferred, fn)
}

// unlock lets go of the service's lock and runs what afterUnlock left.
func (s *Service) unlock() {
	fns := s.deferred
	s.deferred = nil
	s.mu.Unlock()
	if s.unlocked != nil {
		s.unlocked()
	}
	for _, fn := range fns {
		fn()
	}
}
