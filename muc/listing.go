package muc

// The service's room listing (XEP-0045 section 6.3: disco#items on the
// service) over every public room: an index kept sorted as rooms change,
// copied under the service's lock and made into the answer once the lock
// is let go, so that a listing of quota.DefaultMUCRooms rooms keeps every
// room waiting for one copy of a slice, not for a visit of every room, a
// sort and ten thousand items (issue 11).

import (
	"slices"
	"strconv"
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

// nsRSM is XEP-0059 Result Set Management, which a disco#items on a large
// service may use to ask for one page of the listing (XEP-0045 section
// 6.3 points to it).
const nsRSM = "http://jabber.org/protocol/rsm"

// pageRequest is an RSM <set/> on a listing: max < 0 for no limit; after
// and before are room addresses, positions in the sorted listing (a room
// destroyed since the previous page still has its place); before "" asks
// for the last page; index < 0 when not given.
type pageRequest struct {
	max           int
	after, before *string
	index         int
}

// parsePage reads q's RSM <set/>: ok is false without one (the whole
// listing, as without RSM), err when it is malformed.
func parsePage(q *xmlnode.Element) (p pageRequest, ok bool, err bool) {
	set := q.Child(nsRSM, "set")
	if set == nil {
		return pageRequest{}, false, false
	}
	p = pageRequest{max: -1, index: -1}
	num := func(name string) (int, bool) {
		e := set.Child(nsRSM, name)
		if e == nil {
			return -1, true
		}
		n, convErr := strconv.Atoi(strings.TrimSpace(e.Text()))
		return n, convErr == nil && n >= 0
	}
	var good1, good2 bool
	p.max, good1 = num("max")
	p.index, good2 = num("index")
	if !good1 || !good2 {
		return p, true, true
	}
	if e := set.Child(nsRSM, "after"); e != nil {
		s := e.Text()
		p.after = &s
	}
	if e := set.Child(nsRSM, "before"); e != nil {
		s := e.Text()
		p.before = &s
	}
	return p, true, false
}

// page returns the rooms p asks for, the position of the first and the
// listing's size. The lock is held; only the page is copied.
func (s *Service) page(p pageRequest) (rooms []listedRoom, first, count int) {
	for _, r := range s.listed.lockedPublic {
		r.isLocked()
	}
	all := s.listed.rooms
	n := len(all)
	pos := func(j string, after bool) int {
		i, found := slices.BinarySearchFunc(all, j, func(e listedRoom, j string) int { return strings.Compare(e.jid, j) })
		if found && after {
			i++
		}
		return i
	}
	limit := func(k int) int {
		if p.max >= 0 {
			return min(k, p.max)
		}
		return k
	}
	start, end := 0, n
	switch {
	case p.before != nil:
		if *p.before != "" {
			end = pos(*p.before, false)
		}
		start = end - limit(end)
	case p.after != nil:
		start = pos(*p.after, true)
		end = start + limit(n-start)
	case p.index >= 0:
		start = min(p.index, n)
		end = start + limit(n-start)
	default:
		end = limit(n)
	}
	return slices.Clone(all[start:end]), start, n
}

// pageSet is the RSM <set/> of a page's answer.
func pageSet(rooms []listedRoom, first, count int) *xmlnode.Element {
	set := xmlnode.New(nsRSM, "set")
	if len(rooms) > 0 {
		set.AddChild(nsRSM, "first", "index", strconv.Itoa(first)).SetText(rooms[0].jid)
		set.AddChild(nsRSM, "last").SetText(rooms[len(rooms)-1].jid)
	}
	set.AddChild(nsRSM, "count").SetText(strconv.Itoa(count))
	return set
}
