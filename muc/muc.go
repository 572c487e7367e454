// Package muc is the Multi-User Chat service of XEP-0045, mounted by the
// server at conference.<domain> through the component seam.
//
// It behaves like Prosody 0.12's mod_muc where the XEP leaves room for
// choice, because Prosody's scansion scripts are our conformance bar: the
// order of stanzas a join causes (other occupants, self with status 110,
// history, subject), which <item/> elements carry a real JID, which errors
// carry a "by" attribute, the format of mediated invites, and so on.
//
// The package is split by concern, like Prosody's muc/*.lib.lua:
//
//   - muc.go: the Service, its Config and the dispatch of incoming stanzas
//   - room.go, occupant.go: rooms, occupants and their sessions
//   - roles.go: roles, affiliations and their ranks
//   - presence.go: joins, leaves, nick changes, presence broadcast
//   - occupantlist.go: the occupant list a joiner gets, each occupant's
//     entry kept ready and shared by every joiner
//   - join.go: room creation and the checks a join must pass
//   - message.go: groupchat and private messages, IQs between occupants
//   - subject.go, history.go: the room subject and discussion history
//   - mam.go: the room's message archive (XEP-0313), as mod_muc_mam serves it
//   - config.go: the owner configuration form (muc#owner)
//   - admin.go: roles and affiliations (muc#admin), kicks and bans
//   - invite.go: mediated invitations and declines
//   - register.go: room registration and reserved nicknames
//   - disco.go: service discovery on the service and on rooms
//   - destroy.go: room destruction, tombstones and the admin command
//   - request.go: voice requests (muc#request)
//   - moderate.go, moderatestore.go: message moderation (XEP-0425), a
//     moderator's retraction of a message for everyone, and the
//     tombstones that replace it in the history and the archive
//   - limits.go: the service-wide bounds on rooms per user and per client
//     address, and on occupants
//   - errors.go, stanza.go, form.go: small builders shared by the above;
//     JIDs in requests are parsed with package jidcheck, which keeps their
//     normalisation idempotent so that one user cannot hold two
//     affiliation keys
//
// Everything a stanza causes is routed synchronously from HandleStanza, in
// protocol order, so a test runner sees a deterministic sequence.
package muc

import (
	"crypto/rand"
	"encoding/base64"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/muctest/muctest/component"
	"github.com/muctest/muctest/jidcheck"
	"github.com/muctest/muctest/xmlnode"
)

// Config sets up a Service.
type Config struct {
	// Domain is the service's own domain, e.g. conference.localhost.
	Domain string
	// Router delivers the service's outgoing stanzas.
	Router component.Router
	// Admins are bare JIDs with service-wide owner rights (server admins):
	// they are owners of every room, may recreate destroyed rooms and may
	// run the service's ad-hoc commands.
	Admins []string
	// Name is the service's disco#info identity name; "Chatrooms" when
	// empty.
	Name string
	// Now is the clock used for history and subject delay stamps and for
	// room lock expiry; time.Now when nil. Tests set it to get stable
	// stamps and to move time on.
	Now func() time.Time
	// LockTimeout is how long a new room stays locked when its owner never
	// submits the configuration form (XEP-0045 section 10.1.1; poezio never
	// does): after it the room opens with its default configuration, as in
	// Prosody. Zero means DefaultLockTimeout (300 s); a negative value keeps
	// rooms locked until they are configured.
	LockTimeout time.Duration
	// Limits bound rooms per user and occupants per room (see Limits).
	Limits Limits
	// NewID returns identifiers for stanzas the service stamps (groupchat
	// messages without an id, stanza-ids, command sessions); random when
	// nil.
	NewID func() string
	// EnforceReservedNicks makes users with a registered nickname use it:
	// a join under another nickname enters under the registered one (status
	// 210) and changing away from it is refused (Prosody's
	// enforce_registered_nickname; off by default, as in Prosody).
	EnforceReservedNicks bool
}

// Service is the MUC service: it owns every room of its domain. One mutex
// guards all rooms: stanzas are cheap to process and never block, so a
// finer lock would buy little and cost clarity.
type Service struct {
	cfg    Config
	admins map[string]bool

	mu         sync.Mutex
	rooms      map[string]*room
	tombstones map[string]tombstone
	archBytes  int64 // wire bytes in every room's archive (quota.go)
	// origin is the client address of the stanza being handled
	// (HandleStanzaFrom; invalid when unknown), roomsByAddr the rooms
	// that still exist by the address they were created from (limits.go).
	origin      netip.Addr
	roomsByAddr map[netip.Addr]int
	// ownedBy counts the rooms each bare JID owns, for MaxRoomsPerUser
	// without a scan of every room (limits.go).
	ownedBy map[string]int
	// deferred is what runs once the lock is let go (listing.go);
	// unlocked, when set, is called first (benchmarks of the lock).
	deferred  []func()
	unlocked  func()
	listed    listing // the public rooms, for disco#items (listing.go)
	histBytes int     // serialised bytes of every room's history (historytotal.go)
}

// New returns a Service with no rooms.
func New(cfg Config) *Service {
	if cfg.Name == "" {
		cfg.Name = "Chatrooms"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewID == nil {
		cfg.NewID = randomID
	}
	s := &Service{
		cfg:         cfg,
		admins:      make(map[string]bool),
		rooms:       make(map[string]*room),
		tombstones:  make(map[string]tombstone),
		roomsByAddr: make(map[netip.Addr]int),
		ownedBy:     make(map[string]int),
	}
	for _, a := range cfg.Admins {
		if j, err := jidcheck.ParseFast(a); err == nil {
			s.admins[j.Bare().String()] = true
		}
	}
	return s
}

// Shutdown empties every room, telling each occupant it was removed
// because the service is shutting down (status 332). The server calls it
// before closing its sessions; rooms themselves are kept.
func (s *Service) Shutdown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, j := range sortedKeys(s.rooms) {
		r := s.rooms[j]
		x := mucUserX()
		addStatus(x, "332")
		r.destroying = true // keep the room while it empties
		for _, o := range r.eachOccupant() {
			e := r.evict(o)
			r.publicise(e.o, presenceChange{x: x, prevRole: e.prev})
		}
		r.destroying = false
	}
}

// randomID returns 18 random bytes in URL-safe base64, the shape of
// Prosody's generated ids.
func randomID() string {
	var b [18]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// isAdmin reports whether the (full or bare) JID j is a service admin.
func (s *Service) isAdmin(j string) bool {
	return s.admins[bareOf(j)]
}

// route hands st to the router. Callers never touch st afterwards.
func (s *Service) route(st *xmlnode.Element) {
	if s.cfg.Router != nil {
		s.cfg.Router.Route(st)
	}
}

// routeTo hands st to the router addressed to "to", without a copy when
// the router can take it so (component.AddressedRouter): how a broadcast
// reaches each occupant's session. st stays the caller's, and may be
// routed again to someone else; it must not change while it is routed.
func (s *Service) routeTo(st *xmlnode.Element, to string) {
	if s.cfg.Router != nil {
		component.RouteTo(s.cfg.Router, st, to)
	}
}

// HandleStanza implements component.Handler: it dispatches st to the
// service itself (stanzas to the bare domain) or to the room it addresses,
// creating the room when st is a MUC join to a room that does not exist.
func (s *Service) HandleStanza(st *xmlnode.Element) { s.HandleStanzaFrom(st, component.Origin{}) }

// HandleStanzaFrom implements component.OriginHandler: HandleStanza for a
// stanza whose client address the router knows, which Limits.MaxRoomsPerIP
// counts room creations by.
func (s *Service) HandleStanzaFrom(st *xmlnode.Element, o component.Origin) {
	if st == nil {
		return
	}
	from, err := jidcheck.ParseFast(st.Attrib("from"))
	if err != nil || from.Domainpart() == "" {
		return // the server stamps "from"; nothing sensible to answer
	}
	typ := st.Attrib("type")
	to, ok := parseTo(st.Attrib("to"))
	s.mu.Lock()
	defer s.unlock()
	s.origin = o.Addr
	if !ok {
		if typ != "error" {
			s.route(errorReply(st, "modify", "jid-malformed", "", s.cfg.Domain))
		}
		return
	}
	st.SetAttr("to", to.String())
	st.SetAttr("from", from.String())
	if to.local == "" {
		s.handleHost(st, from.String())
		return
	}
	s.handleRoomStanza(st, from.String(), to)
}

// handleRoomStanza finds the addressed room (or a tombstone, or creates the
// room on a MUC join) and hands st to it, as mod_muc's event handlers do.
func (s *Service) handleRoomStanza(st *xmlnode.Element, from string, to address) {
	roomJID := to.bare()
	typ := st.Attrib("type")
	r := s.rooms[roomJID]
	if r == nil {
		if t, ok := s.tombstones[roomJID]; ok {
			if s.cfg.Now().After(t.until) || (s.isAdmin(from) && st.Name.Local == "presence" && typ == "") {
				delete(s.tombstones, roomJID)
			} else {
				if typ != "error" {
					reply := errorReply(st, "cancel", "gone", t.reason, s.cfg.Domain)
					if t.newJID != "" {
						reply.Child("", "error").Child(nsStanzas, "gone").SetText("xmpp:" + t.newJID + "?join")
					}
					s.route(reply)
				}
				return
			}
		}
	}
	if r == nil {
		if st.Name.Local == "presence" && typ == "" && st.Child(nsMUC, "x") != nil && to.resource != "" {
			s.createRoom(roomJID, st, from, to)
			return
		}
		if typ != "error" {
			s.route(errorReply(st, "cancel", "item-not-found", "", s.cfg.Domain))
		}
		return
	}
	if to.hasSlash {
		switch st.Name.Local {
		case "presence":
			r.handlePresenceToOccupant(st, from)
		case "message":
			r.handleMessageToOccupant(st, from)
		case "iq":
			r.handleIQToOccupant(st, from)
		}
		return
	}
	switch st.Name.Local {
	case "presence":
		r.handlePresenceToRoom(st, from)
	case "message":
		r.handleMessageToRoom(st, from)
	case "iq":
		r.handleIQToRoom(st, from)
	}
}

// address is a parsed "to": the service's own addresses are parsed
// leniently so that a nickname which fails validation still reaches the
// room, which answers with Prosody's error rather than a generic one.
type address struct {
	local, domain, resource string
	hasSlash                bool
}

func (a address) bare() string {
	if a.local == "" {
		return a.domain
	}
	return a.local + "@" + a.domain
}

func (a address) String() string {
	if a.resource == "" && !a.hasSlash {
		return a.bare()
	}
	return a.bare() + "/" + a.resource
}

// parseTo splits and normalises a "to" address. The local and domain parts
// must be valid; the resource (a nickname) only has stringprep's
// "mapped to nothing" characters removed, like Prosody's resourceprep, and
// is validated later by the room.
func parseTo(s string) (address, bool) {
	var a address
	if jidcheck.CheckLength(s) != nil {
		return a, false // before PRECIS and the nick checks
	}
	rest := s
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		a.resource = jidcheck.MapNothing(rest[i+1:])
		a.hasSlash = true
		rest = rest[:i]
		if a.resource == "" {
			return a, false
		}
	}
	if i := strings.IndexByte(rest, '@'); i >= 0 {
		a.local = rest[:i]
		rest = rest[i+1:]
		if a.local == "" {
			return a, false
		}
	}
	a.domain = rest
	j, err := jidcheck.NewFast(a.local, a.domain, "")
	if err != nil {
		return a, false
	}
	a.local, a.domain = j.Localpart(), j.Domainpart()
	return a, true
}
