package muc

import (
	"fmt"
	"strings"
	"testing"

	"github.com/muctest/muctest/xmlnode"
)

// referenceOccupantList is the occupant list as sendOccupantList built it
// before entries were cached (at 52a92b2): every entry built afresh from
// the occupant, for the joiner to. The tests compare the cached entries'
// bytes with it, so it is kept as it was, returning what it would route.
func referenceOccupantList(r *room, to string, filter func(*occupant) bool) []*xmlnode.Element {
	var out []*xmlnode.Element
	toBare := bareOf(to)
	anonymous := r.isAnonymousFor(to)
	present := make(map[string]bool)
	for _, o := range r.eachOccupant() {
		present[o.bare] = true
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
		x := mucUserX()
		r.buildItems(o, x, anonymous && toBare != o.bare, "", "", "", "")
		out = append(out, addressedCopy(pr, to).Append(x))
	}
	if !r.conf.broadcast[roleNone] {
		return out
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
		out = append(out, p)
	}
	return out
}

// joinFilter is the filter a join's occupant list uses (enterOccupant):
// every occupant the joining session is not part of.
func joinFilter(from string) func(*occupant) bool {
	return func(o *occupant) bool { return o.presence(from) == nil }
}

// wire is st as a c2s session writes it on a jabber:client stream.
func wire(st *xmlnode.Element) string { return string(st.AppendTo(nil, nsClient)) }

// joinAndCompareList joins from to room as nick and checks that the
// occupant list it received is, byte for byte and in order, what
// referenceOccupantList builds from the room as it is after the join; it
// returns that list.
func (h *harness) joinAndCompareList(from, room, nick string) []*xmlnode.Element {
	h.t.Helper()
	out := h.join(from, room, nick)
	r := h.svc.rooms[room+"@"+service]
	if r == nil {
		h.t.Fatalf("room %s gone", room)
	}
	want := referenceOccupantList(r, from, joinFilter(from))
	if len(out) < len(want) {
		h.t.Fatalf("%s's join routed %d stanzas, want an occupant list of %d first:\n%s", from, len(out), len(want), dump(out))
	}
	got := out[:len(want)]
	for i := range want {
		g, w := wire(got[i]), wire(want[i])
		if g != w {
			h.t.Errorf("occupant list entry %d for %s:\n got %s\nwant %s", i, from, g, w)
		}
		// A cached entry's tree must say what its bytes do (the shared
		// anonymous <x/> is frozen).
		if tree := wire(got[i].Copy()); tree != g {
			h.t.Errorf("occupant list entry %d for %s encodes as\n%s\nits tree as\n%s", i, from, g, tree)
		}
	}
	// What follows goes to the others first, then to the joiner its own
	// presence: no further entry.
	if len(out) > len(want) {
		if next := out[len(want)]; next.Attrib("to") == from && next.Attrib("from") != room+"@"+service+"/"+nick {
			h.t.Errorf("more occupant list entries for %s than before: %s", from, wire(next))
		}
	}
	return got
}

// TestOccupantListWireForm checks the cached occupant list entries against
// the list as it was built before (referenceOccupantList) for every
// affiliation and role of the listed occupants, every affiliation of the
// joiner, both kinds of room anonymity and of presence broadcast, and both
// kinds of router; the entries are first built by earlier joiners of
// either kind (seeing real JIDs or not) and reused by the tested one. A
// user joining under a second nickname sees its own other occupant with
// its real JID.
func TestOccupantListWireForm(t *testing.T) {
	affs := []affiliation{affNone, affMember, affAdmin, affOwner}
	roles := []role{roleVisitor, roleParticipant, roleModerator}
	broadcasts := map[string][4]bool{
		"default":         defaultConfig().broadcast,
		"moderators+none": {roleNone: true, roleModerator: true},
	}
	joiners := []struct {
		name string
		jid  string
		aff  affiliation // set before the join, unless the user is listed
	}{
		{"none", "joiner@localhost/x", affNone},
		{"member", "joiner@localhost/x", affMember},
		{"admin", "joiner@localhost/x", affAdmin},
		{"owner", "joiner@localhost/x", affOwner},
		{"second-nick", "member-participant@localhost/second", affMember},
	}
	for _, whois := range []string{whoisModerators, whoisAnyone} {
		for bname, broadcast := range broadcasts {
			for _, j := range joiners {
				for _, addressed := range []bool{false, true} {
					router := "Route"
					if addressed {
						router = "RouteTo"
					}
					t.Run(fmt.Sprintf("%s/%s/joiner=%s/%s", whois, bname, j.name, router), func(t *testing.T) {
						testOccupantListWireForm(t, addressed, whois, broadcast, affs, roles, j.jid, j.aff)
					})
				}
			}
		}
	}
}

// testOccupantListWireForm is one case of TestOccupantListWireForm: joiner
// joins a room holding every kind of occupant, with affiliation joinerAff.
func testOccupantListWireForm(t *testing.T, addressed bool, whois string, broadcast [4]bool, affs []affiliation, roles []role, joiner string, joinerAff affiliation) {
	h := newHarness(t)
	if addressed {
		h = newAddressedHarness(t)
	}
	h.createRoom(romeo, "room", "Romeo", map[string]string{fWhois: whois})
	r := h.svc.rooms["room@"+service]
	// One occupant per affiliation and role, set directly on the room.
	for _, a := range affs {
		for _, rl := range roles {
			bare := fmt.Sprintf("%s-%s@localhost", a, rl)
			nick := fmt.Sprintf("%s %s", a, rl)
			h.send(bare+"/res", fmt.Sprintf(`<presence to='room@%s/%s'><x xmlns='http://jabber.org/protocol/muc'/><show>away</show><status>I &amp; "%s"</status><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='n' ver='v='/></presence>`, service, nick, nick))
			r.setAffiliationRaw(bare, a)
			o := r.occupantByNick(r.jid + "/" + nick).copy()
			o.role = rl
			r.saveOccupant(o)
		}
	}
	// Two sessions behind one nickname: two items with real JIDs.
	h.join("twin@localhost/one", "room", "Twins")
	h.join("twin@localhost/two", "room", "Twins")
	// An affiliated user who is away, with a reserved nickname.
	r.setAffiliationRaw("absent@localhost", affMember)
	r.reserved["absent@localhost"] = "Absent"
	r.conf.broadcast = broadcast

	// Earlier joiners build the entries, one of each kind.
	r.setAffiliationRaw("early-admin@localhost", affAdmin)
	h.joinAndCompareList("early-none@localhost/x", "room", "EarlyNone")
	h.joinAndCompareList("early-admin@localhost/x", "room", "EarlyAdmin")

	r.setAffiliationRaw(bareOf(joiner), joinerAff)
	got := h.joinAndCompareList(joiner, "room", "Joiner")
	// Romeo, the moderators, the early admin; the visitors, participants,
	// twins and early participant when their presence is broadcast (the
	// absent member comes on top when role none's is).
	want := 1 + len(affs) + 1
	if broadcast[roleParticipant] {
		want += 2*len(affs) + 2
	}
	if len(got) < want {
		t.Errorf("occupant list of %d entries, want at least %d:\n%s", len(got), want, dump(got))
	}
}

// TestOccupantListFollowsChanges checks that a change to an occupant is in
// the next joiner's list, whatever the change: each step changes the room
// after joiners of both kinds (seeing real JIDs or not) built their entries,
// then new joiners of both kinds must get what referenceOccupantList builds
// from the room as it is, and the step's own check holds.
func TestOccupantListFollowsChanges(t *testing.T) {
	const roomJID = "room@" + service
	admin := func(item string) string {
		return `<iq type='set' id='a' to='` + roomJID + `'><query xmlns='http://jabber.org/protocol/muc#admin'>` + item + `</query></iq>`
	}
	steps := []struct {
		name string
		from string // who sends change; "" for a change made by run
		send string
		run  func(r *room)
		// want and notWant are substrings the next joiners' lists (both
		// kinds, concatenated) must and must not have.
		want, notWant string
	}{
		{name: "status", from: juliet, send: `<presence to='room@conference.localhost/Juliet'><show>dnd</show><status>Wherefore</status></presence>`,
			want: "Wherefore"},
		{name: "voice revoked", from: romeo, send: admin(`<item nick='Juliet' role='visitor'/>`),
			want: `role="visitor"`},
		{name: "voice granted", from: romeo, send: admin(`<item nick='Juliet' role='participant'/>`),
			notWant: `role="visitor"`},
		{name: "made member", from: romeo, send: admin(`<item jid='juliet@localhost' affiliation='member'/>`),
			want: `affiliation="member"`},
		{name: "made admin", from: romeo, send: admin(`<item jid='juliet@localhost' affiliation='admin'/>`),
			want: `affiliation="admin" role="moderator"`},
		{name: "admin removed", from: romeo, send: admin(`<item jid='juliet@localhost' affiliation='none'/>`),
			want: `affiliation="none" role="participant"`, notWant: `affiliation="admin"`},
		{name: "affiliation changed behind the room", run: func(r *room) { r.setAffiliationRaw("juliet@localhost", affMember) },
			want: `affiliation="member"`},
		{name: "second session", from: "juliet@localhost/phone", send: `<presence to='room@conference.localhost/Juliet'><x xmlns='http://jabber.org/protocol/muc'/></presence>`,
			want: `jid="juliet@localhost/phone"`},
		{name: "second session's status", from: "juliet@localhost/phone", send: `<presence to='room@conference.localhost/Juliet'><status>On the phone</status></presence>`,
			want: "Wherefore"}, // the primary session's presence is shown
		{name: "first session leaves", from: juliet, send: `<presence type='unavailable' to='room@conference.localhost/Juliet'/>`,
			want: "On the phone", notWant: `jid="juliet@localhost/balcony"`},
		{name: "nick change", from: "juliet@localhost/phone", send: `<presence to='room@conference.localhost/Capulet'/>`,
			want: `from="room@conference.localhost/Capulet"`, notWant: `from="room@conference.localhost/Juliet"`},
		{name: "non-anonymous", from: romeo, send: `<iq type='set' id='c' to='room@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field><field var='muc#roomconfig_whois'><value>anyone</value></field></x></query></iq>`,
			want: `jid="nurse@localhost/kitchen"`},
		{name: "semi-anonymous", from: romeo, send: `<iq type='set' id='c' to='room@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field><field var='muc#roomconfig_whois'><value>moderators</value></field></x></query></iq>`},
		{name: "kick", from: romeo, send: admin(`<item nick='Nurse' role='none'/>`),
			notWant: "Nurse"},
		{name: "ban", from: romeo, send: admin(`<item jid='juliet@localhost' affiliation='outcast'/>`),
			notWant: "Capulet"},
		{name: "rejoin", from: nurse, send: `<presence to='room@conference.localhost/Nurse'><x xmlns='http://jabber.org/protocol/muc'/><status>Back</status></presence>`,
			want: "Back"},
		{name: "moderated", from: romeo, send: `<iq type='set' id='c' to='room@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field><field var='muc#roomconfig_moderatedroom'><value>1</value></field></x></query></iq>`},
	}
	for _, addressed := range []bool{false, true} {
		t.Run(fmt.Sprintf("addressed=%v", addressed), func(t *testing.T) {
			h := newHarness(t)
			if addressed {
				h = newAddressedHarness(t)
			}
			h.createRoom(romeo, "room", "Romeo", nil)
			h.svc.rooms[roomJID].setAffiliationRaw("watcher@localhost", affAdmin)
			h.join(juliet, "room", "Juliet")
			h.join(nurse, "room", "Nurse")
			joins := 0
			joinBoth := func() string {
				var b strings.Builder
				for _, who := range []string{"visitor", "watcher"} { // watcher is an admin: real JIDs
					joins++
					from := fmt.Sprintf("%s@localhost/%d", who, joins)
					for _, st := range h.joinAndCompareList(from, "room", fmt.Sprintf("%s%d", who, joins)) {
						b.WriteString(wire(st))
					}
					h.send(from, `<presence type='unavailable' to='room@conference.localhost/x'/>`)
				}
				return b.String()
			}
			joinBoth() // the entries now exist, in both forms
			for _, s := range steps {
				if s.run != nil {
					s.run(h.svc.rooms[roomJID])
				} else {
					h.send(s.from, s.send)
				}
				lists := joinBoth()
				if s.want != "" && !strings.Contains(lists, s.want) {
					t.Errorf("after %s: the next joiners' lists lack %s:\n%s", s.name, s.want, lists)
				}
				if s.notWant != "" && strings.Contains(lists, s.notWant) {
					t.Errorf("after %s: the next joiners' lists still have %s:\n%s", s.name, s.notWant, lists)
				}
			}
		})
	}
}
