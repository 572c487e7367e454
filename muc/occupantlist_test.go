package muc

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/muctest/muctest/match"
	"github.com/muctest/muctest/xmlnode"
)

// listModel is the test's own account of a room, written down as each test
// builds and changes the room, never read from the service: the oracle
// for the occupant list a joiner gets (XEP-0045 section 7.2.3, with
// Prosody's presence broadcast option and its list of absent affiliated
// users).
type listModel struct {
	whoisAnyone bool
	broadcast   map[string]bool  // by role name, "none" included
	occupants   []*modelOccupant // in join order
	absent      []modelAbsent    // affiliated users not in the room, in the order affiliated
}

// modelOccupant is one occupant as the others see it.
type modelOccupant struct {
	nick, bare string
	sessions   []string // full JIDs, in join order
	aff, role  string
	payload    string // the primary session's presence children, as XML
}

type modelAbsent struct{ bare, aff, nick string }

func newListModel() *listModel {
	return &listModel{broadcast: map[string]bool{"visitor": true, "participant": true, "moderator": true}}
}

// add appends an occupant that has just joined.
func (m *listModel) add(nick, full, aff, role, payload string) *modelOccupant {
	o := &modelOccupant{nick: nick, bare: bareOf(full), sessions: []string{full}, aff: aff, role: role, payload: payload}
	m.occupants = append(m.occupants, o)
	return o
}

func (m *listModel) get(nick string) *modelOccupant {
	for _, o := range m.occupants {
		if o.nick == nick {
			return o
		}
	}
	panic("model: no occupant " + nick)
}

func (m *listModel) remove(nick string) {
	m.occupants = slices.DeleteFunc(m.occupants, func(o *modelOccupant) bool { return o.nick == nick })
}

// list returns the stanzas, as the test expects them written, that a
// session to joining with affiliation aff and role role gets first.
func (m *listModel) list(to, aff, role string) []string {
	anonymous := !m.whoisAnyone && aff != "admin" && aff != "owner" && role != "moderator"
	var out []string
	for _, o := range m.occupants {
		if slices.Contains(o.sessions, to) {
			continue // the joiner's own occupant
		}
		self := o.bare == bareOf(to)
		if !self && !m.broadcast[o.role] {
			continue
		}
		var items strings.Builder
		if anonymous && !self {
			fmt.Fprintf(&items, `<item affiliation='%s' role='%s'/>`, o.aff, o.role)
		} else {
			for _, s := range o.sessions {
				fmt.Fprintf(&items, `<item affiliation='%s' role='%s' jid='%s'/>`, o.aff, o.role, s)
			}
		}
		out = append(out, fmt.Sprintf(`<presence scansion:strict='true' from='room@conference.localhost/%s' to='%s'>%s`+
			`<occupant-id xmlns='urn:xmpp:occupant-id:0' id='{scansion:any}'/>`+
			`<x xmlns='http://jabber.org/protocol/muc#user'>%s</x></presence>`, o.nick, to, o.payload, items.String()))
	}
	if !m.broadcast["none"] {
		return out
	}
	for _, a := range m.absent {
		if (a.nick == "" && anonymous) || a.bare == bareOf(to) {
			continue // the joiner is no longer absent
		}
		from, jid, nick := "room@conference.localhost", "", ""
		if a.nick != "" {
			from += "/" + a.nick
			nick = fmt.Sprintf(` nick='%s'`, a.nick)
		}
		if !anonymous {
			jid = fmt.Sprintf(` jid='%s'`, a.bare)
		}
		out = append(out, fmt.Sprintf(`<presence scansion:strict='true' type='unavailable' from='%s' to='%s'>`+
			`<x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='%s' role='none'%s%s/></x></presence>`, from, to, a.aff, jid, nick))
	}
	return out
}

// wire is st as a c2s session writes it on a jabber:client stream.
func wire(st *xmlnode.Element) string { return string(st.AppendTo(nil, nsClient)) }

// joinAndCompareList joins from to room as nick and checks that the
// occupant list it received is, in order, the one m expects for a joiner
// with affiliation aff and role role, stanza by stanza; it returns that
// list.
func (h *harness) joinAndCompareList(m *listModel, from, room, nick, aff, role string) []*xmlnode.Element {
	h.t.Helper()
	out := h.join(from, room, nick)
	want := m.list(from, aff, role)
	if len(out) < len(want) {
		h.t.Fatalf("%s's join routed %d stanzas, want an occupant list of %d first:\n%s\nwant:\n%s", from, len(out), len(want), dump(out), strings.Join(want, "\n"))
	}
	got := out[:len(want)]
	for i := range want {
		if mm := match.Match(parse(h.t, want[i]), got[i]); mm != nil {
			h.t.Errorf("occupant list entry %d for %s:\n%s\nwant:\n%s", i, from, match.FormatMismatch(got[i], mm), want[i])
		}
		// A cached entry's tree must say what its bytes do (the shared
		// anonymous <x/> is frozen).
		if g, tree := wire(got[i]), wire(got[i].Copy()); tree != g {
			h.t.Errorf("occupant list entry %d for %s encodes as\n%s\nits tree as\n%s", i, from, g, tree)
		}
	}
	// What follows goes to the others first, then to the joiner its own
	// presence: no further entry.
	if len(out) > len(want) {
		if next := out[len(want)]; next.Attrib("to") == from && next.Attrib("from") != room+"@"+service+"/"+nick {
			h.t.Errorf("more occupant list entries for %s than expected: %s", from, wire(next))
		}
	}
	return got
}

// TestOccupantListWireForm checks the occupant list entries, cached by
// the service, against the list the test expects (listModel) for every
// affiliation and role of the listed occupants, every affiliation of the
// joiner, both kinds of room anonymity and of presence broadcast, and both
// kinds of router; the entries are first built by earlier joiners of
// either kind (seeing real JIDs or not) and reused by the tested one. A
// user joining under a second nickname sees its own other occupant with
// its real JID.
func TestOccupantListWireForm(t *testing.T) {
	affs := []affiliation{affNone, affMember, affAdmin, affOwner}
	roles := []role{roleVisitor, roleParticipant, roleModerator}
	broadcasts := map[string][]role{
		"default":         {roleVisitor, roleParticipant, roleModerator},
		"moderators+none": {roleNone, roleModerator},
	}
	joiners := []struct {
		name string
		jid  string
		aff  affiliation // set before the join, unless the user is listed
		role string      // the role it joins with
	}{
		{"none", "joiner@localhost/x", affNone, "participant"},
		{"member", "joiner@localhost/x", affMember, "participant"},
		{"admin", "joiner@localhost/x", affAdmin, "moderator"},
		{"owner", "joiner@localhost/x", affOwner, "moderator"},
		{"second-nick", "member-participant@localhost/second", affMember, "participant"},
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
						testOccupantListWireForm(t, addressed, whois, broadcast, affs, roles, j.jid, j.aff, j.role)
					})
				}
			}
		}
	}
}

// testOccupantListWireForm is one case of TestOccupantListWireForm: joiner
// joins a room holding every kind of occupant, with affiliation joinerAff.
func testOccupantListWireForm(t *testing.T, addressed bool, whois string, broadcast []role, affs []affiliation, roles []role, joiner string, joinerAff affiliation, joinerRole string) {
	h := newHarness(t)
	if addressed {
		h = newAddressedHarness(t)
	}
	m := newListModel()
	m.whoisAnyone = whois == whoisAnyone
	h.createRoom(romeo, "room", "Romeo", map[string]string{fWhois: whois})
	m.add("Romeo", romeo, "owner", "moderator", "")
	r := h.svc.rooms["room@"+service]
	// One occupant per affiliation and role, set directly on the room.
	for _, a := range affs {
		for _, rl := range roles {
			bare := fmt.Sprintf("%s-%s@localhost", a, rl)
			nick := fmt.Sprintf("%s %s", a, rl)
			payload := fmt.Sprintf(`<show>away</show><status>I &amp; "%s"</status><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='n' ver='v='/>`, nick)
			h.send(bare+"/res", fmt.Sprintf(`<presence to='room@%s/%s'><x xmlns='http://jabber.org/protocol/muc'/>%s</presence>`, service, nick, payload))
			r.setAffiliationRaw(bare, a)
			o := r.occupantByNick(r.jid + "/" + nick).copy()
			o.role = rl
			r.saveOccupant(o)
			m.add(nick, bare+"/res", a.String(), rl.String(), payload)
		}
	}
	// Two sessions behind one nickname: two items with real JIDs.
	h.join("twin@localhost/one", "room", "Twins")
	h.join("twin@localhost/two", "room", "Twins")
	m.add("Twins", "twin@localhost/one", "none", "participant", "").sessions = []string{"twin@localhost/one", "twin@localhost/two"}
	// An affiliated user who is away, with a reserved nickname.
	r.setAffiliationRaw("absent@localhost", affMember)
	r.reserved["absent@localhost"] = "Absent"
	m.absent = append(m.absent, modelAbsent{"absent@localhost", "member", "Absent"})
	r.conf.broadcast = [4]bool{}
	clear(m.broadcast)
	for _, rl := range broadcast {
		r.conf.broadcast[rl] = true
		m.broadcast[rl.String()] = true
	}

	// Earlier joiners build the entries, one of each kind. The early
	// admin is affiliated, and absent until it joins.
	r.setAffiliationRaw("early-admin@localhost", affAdmin)
	m.absent = append(m.absent, modelAbsent{"early-admin@localhost", "admin", ""})
	h.joinAndCompareList(m, "early-none@localhost/x", "room", "EarlyNone", "none", "participant")
	m.add("EarlyNone", "early-none@localhost/x", "none", "participant", "")
	h.joinAndCompareList(m, "early-admin@localhost/x", "room", "EarlyAdmin", "admin", "moderator")
	m.add("EarlyAdmin", "early-admin@localhost/x", "admin", "moderator", "")
	m.absent = m.absent[:1]

	r.setAffiliationRaw(bareOf(joiner), joinerAff)
	got := h.joinAndCompareList(m, joiner, "room", "Joiner", joinerAff.String(), joinerRole)
	// Romeo, the moderators, the early admin; the visitors, participants,
	// twins and early participant when their presence is broadcast (the
	// absent member comes on top when role none's is): the model's own
	// count, checked against the test's set-up once more.
	want := 1 + len(affs) + 1
	if slices.Contains(broadcast, roleParticipant) {
		want += 2*len(affs) + 2
	}
	if slices.Contains(broadcast, roleNone) {
		want++
	}
	if bareOf(joiner) == "member-participant@localhost" && !slices.Contains(broadcast, roleParticipant) {
		want++ // its own other nickname, listed whatever the broadcast
	}
	if len(got) != want {
		t.Errorf("occupant list of %d entries, want %d:\n%s", len(got), want, dump(got))
	}
}

// TestOccupantListFollowsChanges checks that a change to an occupant is in
// the next joiner's list, whatever the change: each step changes the room
// after joiners of both kinds (seeing real JIDs or not) built their entries,
// then new joiners of both kinds must get the list the test's model of the
// room (listModel, updated by each step's model function) says, and the
// step's own check holds.
func TestOccupantListFollowsChanges(t *testing.T) {
	const roomJID = "room@" + service
	admin := func(item string) string {
		return `<iq type='set' id='a' to='` + roomJID + `'><query xmlns='http://jabber.org/protocol/muc#admin'>` + item + `</query></iq>`
	}
	config := func(field, value string) string {
		return `<iq type='set' id='c' to='room@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field><field var='` + field + `'><value>` + value + `</value></field></x></query></iq>`
	}
	steps := []struct {
		name  string
		from  string // who sends change; "" for a change made by run
		send  string
		run   func(r *room)
		model func(m *listModel) // the same change, on the model
		// want and notWant are substrings the next joiners' lists (both
		// kinds, concatenated) must and must not have.
		want, notWant string
	}{
		{name: "status", from: juliet, send: `<presence to='room@conference.localhost/Juliet'><show>dnd</show><status>Wherefore</status></presence>`,
			model: func(m *listModel) { m.get("Juliet").payload = "<show>dnd</show><status>Wherefore</status>" },
			want:  "Wherefore"},
		{name: "voice revoked", from: romeo, send: admin(`<item nick='Juliet' role='visitor'/>`),
			model: func(m *listModel) { m.get("Juliet").role = "visitor" },
			want:  `role="visitor"`},
		{name: "voice granted", from: romeo, send: admin(`<item nick='Juliet' role='participant'/>`),
			model:   func(m *listModel) { m.get("Juliet").role = "participant" },
			notWant: `role="visitor"`},
		{name: "made member", from: romeo, send: admin(`<item jid='juliet@localhost' affiliation='member'/>`),
			model: func(m *listModel) { m.get("Juliet").aff = "member" },
			want:  `affiliation="member"`},
		{name: "made admin", from: romeo, send: admin(`<item jid='juliet@localhost' affiliation='admin'/>`),
			model: func(m *listModel) { o := m.get("Juliet"); o.aff, o.role = "admin", "moderator" },
			want:  `affiliation="admin" role="moderator"`},
		{name: "admin removed", from: romeo, send: admin(`<item jid='juliet@localhost' affiliation='none'/>`),
			model: func(m *listModel) { o := m.get("Juliet"); o.aff, o.role = "none", "participant" },
			want:  `affiliation="none" role="participant"`, notWant: `affiliation="admin"`},
		{name: "affiliation changed behind the room", run: func(r *room) { r.setAffiliationRaw("juliet@localhost", affMember) },
			model: func(m *listModel) { m.get("Juliet").aff = "member" },
			want:  `affiliation="member"`},
		{name: "second session", from: "juliet@localhost/phone", send: `<presence to='room@conference.localhost/Juliet'><x xmlns='http://jabber.org/protocol/muc'/></presence>`,
			model: func(m *listModel) { o := m.get("Juliet"); o.sessions = append(o.sessions, "juliet@localhost/phone") },
			want:  `jid="juliet@localhost/phone"`},
		{name: "second session's status", from: "juliet@localhost/phone", send: `<presence to='room@conference.localhost/Juliet'><status>On the phone</status></presence>`,
			model: func(m *listModel) {}, // the primary session's presence is shown
			want:  "Wherefore"},
		{name: "first session leaves", from: juliet, send: `<presence type='unavailable' to='room@conference.localhost/Juliet'/>`,
			model: func(m *listModel) {
				o := m.get("Juliet")
				o.sessions, o.payload = []string{"juliet@localhost/phone"}, "<status>On the phone</status>"
			},
			want: "On the phone", notWant: `jid="juliet@localhost/balcony"`},
		{name: "nick change", from: "juliet@localhost/phone", send: `<presence to='room@conference.localhost/Capulet'/>`,
			model: func(m *listModel) {
				o := *m.get("Juliet")
				m.remove("Juliet")
				o.nick, o.payload = "Capulet", ""
				m.occupants = append(m.occupants, &o)
			},
			want: `from="room@conference.localhost/Capulet"`, notWant: `from="room@conference.localhost/Juliet"`},
		{name: "non-anonymous", from: romeo, send: config("muc#roomconfig_whois", "anyone"),
			model: func(m *listModel) { m.whoisAnyone = true },
			want:  `jid="nurse@localhost/kitchen"`},
		{name: "semi-anonymous", from: romeo, send: config("muc#roomconfig_whois", "moderators"),
			model: func(m *listModel) { m.whoisAnyone = false }},
		{name: "kick", from: romeo, send: admin(`<item nick='Nurse' role='none'/>`),
			model:   func(m *listModel) { m.remove("Nurse") },
			notWant: "Nurse"},
		{name: "ban", from: romeo, send: admin(`<item jid='juliet@localhost' affiliation='outcast'/>`),
			model:   func(m *listModel) { m.remove("Capulet") },
			notWant: "Capulet"},
		{name: "rejoin", from: nurse, send: `<presence to='room@conference.localhost/Nurse'><x xmlns='http://jabber.org/protocol/muc'/><status>Back</status></presence>`,
			model: func(m *listModel) { m.add("Nurse", nurse, "none", "participant", "<status>Back</status>") },
			want:  "Back"},
		{name: "moderated", from: romeo, send: config("muc#roomconfig_moderatedroom", "1"),
			model: func(m *listModel) {}}, // occupants keep their roles; new ones join as visitors
	}
	for _, addressed := range []bool{false, true} {
		t.Run(fmt.Sprintf("addressed=%v", addressed), func(t *testing.T) {
			h := newHarness(t)
			if addressed {
				h = newAddressedHarness(t)
			}
			m := newListModel()
			h.createRoom(romeo, "room", "Romeo", nil)
			m.add("Romeo", romeo, "owner", "moderator", "")
			h.svc.rooms[roomJID].setAffiliationRaw("watcher@localhost", affAdmin)
			h.join(juliet, "room", "Juliet")
			m.add("Juliet", juliet, "none", "participant", "")
			h.join(nurse, "room", "Nurse")
			m.add("Nurse", nurse, "none", "participant", "")
			joins := 0
			newcomerRole := "participant"
			joinBoth := func() string {
				var b strings.Builder
				for _, who := range []struct{ name, aff, role string }{
					{"visitor", "none", newcomerRole},
					{"watcher", "admin", "moderator"}, // an admin: real JIDs
				} {
					joins++
					from := fmt.Sprintf("%s@localhost/%d", who.name, joins)
					for _, st := range h.joinAndCompareList(m, from, "room", fmt.Sprintf("%s%d", who.name, joins), who.aff, who.role) {
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
				s.model(m)
				if s.name == "moderated" {
					newcomerRole = "visitor"
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
