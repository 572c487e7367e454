package muc

import "github.com/muctest/muctest/xmlnode"

// storedPresenceElements is router.StoredPresenceElements: how many
// elements of an occupant's presence the room keeps as a tree, for each of
// the occupant's sessions in each room (xmlnode.SealedPast).
const storedPresenceElements = 64

// session is one client (full JID) behind an occupant, with the last
// presence it sent to the room: MUC-filtered, from the occupant's room JID.
type session struct {
	jid  string
	pres *xmlnode.Element
}

func (s *session) available() bool { return s.pres.Attrib("type") == "" }

// occupant is a nickname in a room and the sessions of one user (bare JID)
// behind it: XEP-0045 lets several resources share one nickname.
//
// Like Prosody's occupant objects, occupants are values: code changes a
// copy and stores it with room.saveOccupant, which is also what removes an
// occupant whose last session left. The copy a caller holds keeps its role
// and sessions after saving, which is how a leaving occupant's last
// presence is still built from them.
type occupant struct {
	nick     string // in-room JID, room@service/nick
	bare     string // real bare JID
	role     role
	sessions []*session // in arrival order
	primary  string     // full JID of the session whose presence represents the occupant

	// list caches the occupant's presence as the occupant list shows it
	// to a joiner (occupantlist.go). copy leaves it out: a changed
	// occupant is a new value, whose list entry is built afresh.
	list *listEntry
}

func newOccupant(bare, nick string) *occupant {
	return &occupant{bare: bare, nick: nick}
}

// copy returns a copy that, like Prosody's copy_occupant, drops the
// unavailable sessions except the primary one.
func (o *occupant) copy() *occupant {
	c := &occupant{nick: o.nick, bare: o.bare, role: o.role, primary: o.primary}
	for _, s := range o.sessions {
		if s.available() || s.jid == o.primary {
			c.sessions = append(c.sessions, s)
		}
	}
	return c
}

// session returns the session of full JID j, nil when there is none.
func (o *occupant) session(j string) *session {
	for _, s := range o.sessions {
		if s.jid == j {
			return s
		}
	}
	return nil
}

// presence returns the presence of session j, or of the primary session
// when j is empty; nil when there is none.
func (o *occupant) presence(j string) *xmlnode.Element {
	if j == "" {
		j = o.primary
	}
	if s := o.session(j); s != nil {
		return s.pres
	}
	return nil
}

// nickname is the resource of the occupant's room JID.
func (o *occupant) nickname() string { return resourceOf(o.nick) }

// choosePrimary returns an available session's JID, "" when none is left.
func (o *occupant) choosePrimary() string {
	for _, s := range o.sessions {
		if s.available() {
			return s.jid
		}
	}
	return ""
}

// setSession records pres as the presence of session j (MUC payloads
// removed, addressed from the room JID, its elements past
// storedPresenceElements kept serialised, as the router keeps a
// session's) and keeps the primary session
// pointing at an available session when there is one.
func (o *occupant) setSession(j string, pres *xmlnode.Element) {
	p := filterMUCPayloads(pres.Copy()).SealedPast(storedPresenceElements)
	p.SetAttr("from", o.nick)
	p.SetAttr("to", j)
	if s := o.session(j); s != nil {
		s.pres = p
	} else {
		o.sessions = append(o.sessions, &session{jid: j, pres: p})
	}
	if o.primary == "" || (p.Attrib("type") == "unavailable" && o.primary == j) {
		if np := o.choosePrimary(); np != "" {
			o.primary = np
		} else {
			o.primary = j
		}
	}
}

// removeSession forgets session j.
func (o *occupant) removeSession(j string) {
	out := o.sessions[:0:0]
	for _, s := range o.sessions {
		if s.jid != j {
			out = append(out, s)
		}
	}
	o.sessions = out
	if o.primary == j {
		o.primary = o.choosePrimary()
	}
}
