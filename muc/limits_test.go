package muc

import (
	"maps"
	"net/netip"
	"testing"

	"github.com/muctest/muctest/component"
)

// ownedScan is what ownedBy must equal: the owners of every room.
func ownedScan(s *Service) map[string]int {
	m := map[string]int{}
	for _, r := range s.rooms {
		for bare, a := range r.affs {
			if a == affOwner {
				m[bare]++
			}
		}
	}
	return m
}

// TestOwnedIndex: the rooms-per-owner index MaxRoomsPerUser reads stays
// equal to a scan of every room through creation, a refused creation,
// owners granted and revoked, a room that empties and goes, and a
// destruction; the per-address count follows the rooms too.
func TestOwnedIndex(t *testing.T) {
	h := newHarness(t)
	h.svc.cfg.Limits.MaxRoomsPerUser = 2
	h.svc.cfg.Limits.MaxRoomsPerIP = 3
	check := func(step string) {
		t.Helper()
		if want := ownedScan(h.svc); !maps.Equal(h.svc.ownedBy, want) {
			t.Fatalf("%s: ownedBy %v, scan %v", step, h.svc.ownedBy, want)
		}
	}
	addr := netip.MustParseAddr("192.0.2.1")
	from := func(who, s string) {
		t.Helper()
		st := parse(t, s)
		st.SetAttr("from", who)
		h.out = nil
		h.svc.HandleStanzaFrom(st, component.Origin{Addr: addr})
	}
	join := func(who, room, nick string) {
		from(who, `<presence to='`+room+`@conference.localhost/`+nick+`'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	}
	join(romeo, "a", "r")
	h.configure(romeo, "a", map[string]string{"muc#roomconfig_persistentroom": "1"})
	join(romeo, "b", "r")
	h.configure(romeo, "b", nil)
	check("two rooms")
	join(romeo, "c", "r")
	if errCond(h.out[0]) != "not-allowed" {
		t.Fatalf("third room of one owner: %s", dump(h.out))
	}
	check("refused third")
	h.send(romeo, `<iq type='set' id='o' to='a@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='owner' jid='juliet@localhost'/></query></iq>`)
	check("juliet made owner")
	h.send(romeo, `<iq type='set' id='o' to='a@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member' jid='juliet@localhost'/></query></iq>`)
	check("juliet back to member")
	h.send(romeo, `<presence type='unavailable' to='b@conference.localhost/r'/>`) // b is not persistent: it goes
	check("b emptied")
	if h.svc.roomsByAddr[addr] != 1 {
		t.Fatalf("rooms from the address: %d, want 1", h.svc.roomsByAddr[addr])
	}
	h.send(romeo, `<iq type='set' id='d' to='a@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'><destroy/></query></iq>`)
	check("a destroyed")
	if len(h.svc.ownedBy) != 0 || len(h.svc.roomsByAddr) != 0 {
		t.Fatalf("left after every room went: owned %v, by address %v", h.svc.ownedBy, h.svc.roomsByAddr)
	}
	// The address bound: juliet, nurse and a new name share it.
	for _, who := range []string{juliet, nurse, "x@localhost/r", "y@localhost/r"} {
		join(who, "room-"+who[:1], "n")
	}
	if got := errCond(h.out[0]); got != "not-allowed" || len(h.svc.rooms) != 3 {
		t.Fatalf("fourth room from one address: %s (%d rooms)", dump(h.out), len(h.svc.rooms))
	}
	check("address bound")
}

// TestMaxAffiliations: past MaxAffiliations a new affiliation is refused
// resource-constraint (wait) and not recorded, whether an owner asks or an
// invitation would make the invitee a member; changing or removing an
// existing one still works, and service admins are exempt.
func TestMaxAffiliations(t *testing.T) {
	h := newHarness(t)
	h.svc.cfg.Limits.MaxAffiliations = 3
	h.createRoom(romeo, "a", "r", map[string]string{"muc#roomconfig_membersonly": "1", "muc#roomconfig_allowinvites": "1"})
	r := h.svc.rooms["a@"+service]
	set := func(from, jid, aff string) string {
		t.Helper()
		got := h.send(from, `<iq type='set' id='s' to='a@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='`+aff+`' jid='`+jid+`'/></query></iq>`)
		last := got[len(got)-1]
		return last.Attrib("type") + "/" + errCond(last)
	}
	for _, step := range []struct{ from, jid, aff, want string }{
		{romeo, "m1@localhost", "member", "result/"},
		{romeo, "m2@localhost", "member", "result/"},
		{romeo, "m3@localhost", "member", "error/resource-constraint"},
		{romeo, "m3@localhost", "outcast", "error/resource-constraint"},
		{romeo, "m1@localhost", "admin", "result/"},
		{romeo, "m2@localhost", "none", "result/"},
		{romeo, "m3@localhost", "member", "result/"},
		{admin, "m4@localhost", "member", "result/"},
	} {
		if got := set(step.from, step.jid, step.aff); got != step.want {
			t.Fatalf("%s makes %s %s: %s, want %s", step.from, step.jid, step.aff, got, step.want)
		}
	}
	if len(r.affs) != 4 || r.affs["m2@localhost"] != affNone {
		t.Fatalf("affiliations %v", r.affs)
	}
	// An invitation from an occupant no longer adds a member.
	h.send(romeo, `<message to='a@conference.localhost'><x xmlns='http://jabber.org/protocol/muc#user'><invite to='m5@localhost'/></x></message>`)
	if _, ok := r.affs["m5@localhost"]; ok || len(r.affs) != 4 {
		t.Fatalf("an invitation past the bound added a member: %v", r.affs)
	}
}
