package muc

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"iter"
	"net/netip"
	"slices"
	"time"

	"github.com/muctest/muctest/archive"
	"github.com/muctest/muctest/xmlnode"
)

// room is one chat room: its configuration, affiliations, occupants,
// subject and history. All methods run under the service mutex.
type room struct {
	svc *Service
	jid string // bare room JID

	conf   roomConfig
	locked bool // created but not yet configured: others get item-not-found
	// lockedUntil is when a lock left in place expires (lock.go); zero
	// when it does not.
	lockedUntil time.Time

	// affs maps bare JIDs (or domains, for outcasts) to affiliations;
	// affOrder keeps the order they were first granted, for stable lists.
	affs     map[string]affiliation
	affOrder []string
	// reserved maps bare JIDs to their registered nickname (muc#register).
	reserved map[string]string
	// banReasons maps outcasts to the reason given for the ban (banreason.go).
	banReasons map[string]string
	// nickOwner is reserved's inverse (quota.go): nickname -> bare JID.
	nickOwner map[string]string

	occupants map[string]*occupant // by in-room JID
	// order holds the occupants in join order: the same values as
	// occupants, so that a broadcast goes through them without a map
	// lookup per occupant.
	order  []*occupant
	byReal map[string]string // live session full JID -> in-room JID

	subject     string
	subjectFrom string
	subjectTime string // of the last subject change, "" if none: joiners get it as a delay stamp

	history []historyEntry
	// histBytes is the serialised size of history, counted in the
	// service's histBytes (historytotal.go).
	histBytes int
	arch      *archive.Archive // message archive (mam.go), made on first use
	// archKeys names arch's messages in its order, for moderation
	// (moderatestore.go).
	archKeys []archKey

	salt       string // occupant-id and private IQ id salt
	destroying bool
	// createdFrom is the client address the room was created from
	// (Service.roomsByAddr; invalid when unknown).
	createdFrom netip.Addr
}

func newRoom(svc *Service, jid string) *room {
	return &room{
		svc:       svc,
		jid:       jid,
		conf:      defaultConfig(),
		affs:      make(map[string]affiliation),
		reserved:  make(map[string]string),
		occupants: make(map[string]*occupant),
		byReal:    make(map[string]string),
		salt:      randomID(),
	}
}

// occupantByNick returns the occupant whose in-room JID is nick.
func (r *room) occupantByNick(nick string) *occupant { return r.occupants[nick] }

// occupantByReal returns the occupant a live session full JID is in.
func (r *room) occupantByReal(full string) *occupant {
	if nick, ok := r.byReal[full]; ok {
		return r.occupants[nick]
	}
	return nil
}

// occupantJID returns the in-room JID of a live session, "" when the
// session is not in the room.
func (r *room) occupantJID(full string) string { return r.byReal[full] }

// eachOccupant returns the occupants in join order, a snapshot that the
// caller may change the room while going through.
func (r *room) eachOccupant() []*occupant {
	return append(make([]*occupant, 0, len(r.order)), r.order...)
}

// occupantsInOrder yields the occupants in join order without a snapshot,
// for a broadcast: the loop body must not add or remove occupants (routing
// does not: the router never calls back into the service).
func (r *room) occupantsInOrder() iter.Seq[*occupant] {
	return func(yield func(*occupant) bool) {
		for _, o := range r.order {
			if !yield(o) {
				return
			}
		}
	}
}

// saveOccupant stores a copy of o (Prosody's save_occupant): an occupant
// with no available session left loses its role and leaves the room. It
// returns the stored copy, nil when the occupant left.
func (r *room) saveOccupant(o *occupant) *occupant {
	c := o.copy()
	if old := r.occupants[c.nick]; old != nil {
		for _, s := range old.sessions {
			if r.byReal[s.jid] == c.nick {
				delete(r.byReal, s.jid)
			}
		}
	}
	live := false
	if c.role != roleNone {
		for _, s := range c.sessions {
			if s.available() {
				live = true
				r.byReal[s.jid] = c.nick
			}
		}
		if !live {
			c.role = roleNone
		}
	}
	old := r.occupants[c.nick]
	if old == nil {
		if !live {
			return nil
		}
		r.order = append(r.order, c)
		r.occupants[c.nick] = c
		return c
	}
	// In place: nothing ranges over r.order while occupants come and go
	// (eachOccupant is a snapshot), and a leave in a large room then
	// costs no copy of the list.
	i := slices.Index(r.order, old)
	if !live {
		delete(r.occupants, c.nick)
		if i >= 0 {
			r.order = slices.Delete(r.order, i, i+1)
		}
		return nil
	}
	if i >= 0 {
		r.order[i] = c
	}
	r.occupants[c.nick] = c
	return c
}

// evicted is an occupant put out of the room, with the role it had: what
// publicise needs to tell those who saw it that it left.
type evicted struct {
	o    *occupant
	prev role
}

// evict removes o from the room: a copy with role none is saved, which
// drops it from the occupant list. The copy keeps its sessions, from which
// publicise builds the unavailable presence.
func (r *room) evict(o *occupant) evicted {
	c := o.copy()
	prev := c.role
	c.role = roleNone
	r.saveOccupant(c)
	return evicted{c, prev}
}

// routeToOccupant sends st to every session of o, each addressed to the
// session (see routeTo: no copy is built on the common path).
func (r *room) routeToOccupant(o *occupant, st *xmlnode.Element) {
	for _, s := range o.sessions {
		r.svc.routeTo(st, s.jid)
	}
}

// addressedCopy returns st addressed to "to": a shallow copy (its own
// attributes and child list) whose child elements are shared with st, for
// a stanza that gets its own payload added (a presence with a per-recipient
// <x/>). Stanzas that only differ in "to" go through routeTo instead. It is
// safe because nothing changes a stanza's payload once it is built: the
// service builds new elements rather than editing routed ones, and the
// router only serialises what it is given.
func addressedCopy(st *xmlnode.Element, to string) *xmlnode.Element {
	return st.ShallowCopy().SetAttr("to", to)
}

// broadcast sends st to every occupant for which cond (if any) holds. The
// recipients' stanzas differ only in "to", so st's payload is serialised
// once here (xmlnode's Freeze), and each recipient's session encodes just
// the <message to='...'> tags around those bytes, from st itself
// (component.AddressedRouter): nothing is built per recipient. Where the
// router keeps or forwards a stanza (errors, carbons, offline storage), it
// builds an addressed copy, which still holds the parsed children.
func (r *room) broadcast(st *xmlnode.Element, cond func(*occupant) bool) {
	st = st.Freeze()
	for o := range r.occupantsInOrder() {
		if cond == nil || cond(o) {
			r.routeToOccupant(o, st)
		}
	}
}

// occupantLeft runs when an occupant's last session left: an empty,
// non-persistent room is destroyed (forgotten).
func (r *room) occupantLeft() {
	if r.destroying {
		return
	}
	if len(r.occupants) == 0 && !r.conf.persistent {
		r.forget()
	}
}

// occupantID is the XEP-0421 stable, anonymous id of a user in this room:
// an HMAC of the real bare JID with the room's secret salt.
func (r *room) occupantID(bare string) string {
	m := hmac.New(sha256.New, []byte(bare))
	m.Write([]byte(r.salt))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// stampOccupantID replaces any occupant-id in st by the real one for bare,
// so that clients cannot forge it.
func (r *room) stampOccupantID(st *xmlnode.Element, bare string) {
	st.RemoveChildren(nsOccupantID, "occupant-id")
	child(st, nsOccupantID, "occupant-id", "", "id", r.occupantID(bare))
}

// setAffiliationRaw records affiliation a for bare (affNone deletes it).
func (r *room) setAffiliationRaw(bare string, a affiliation) {
	r.svc.ownerChange(r, bare, r.affs[bare], a) // limits.go
	if a != affOutcast {
		delete(r.banReasons, bare)
	}
	if a == affNone {
		if _, ok := r.affs[bare]; ok {
			delete(r.affs, bare)
			for i, j := range r.affOrder {
				if j == bare {
					r.affOrder = append(r.affOrder[:i:i], r.affOrder[i+1:]...)
					break
				}
			}
		}
		return
	}
	if _, ok := r.affs[bare]; !ok {
		r.affOrder = append(r.affOrder, bare)
	}
	r.affs[bare] = a
}

// registeredJID returns the bare JID that reserved nick, "" when nobody did.
func (r *room) registeredJID(nick string) string {
	return r.nickOwner[nick] // quota.go keeps it with reserved
}
