package muc

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/muctest/muctest/component"
	"github.com/muctest/muctest/xmlnode"
)

// TestListingIndex checks the room listing's index against what a visit
// of every room finds (public, unlocked, sorted by address, current
// names) after rooms are made, configured public and hidden, renamed and
// destroyed, and left locked.
func TestListingIndex(t *testing.T) {
	svc := New(Config{Domain: service, Router: component.RouterFunc(func(*xmlnode.Element) {}),
		Limits: Limits{MaxRoomsPerUser: 1 << 20}})
	handle := func(s string) {
		st, err := xmlnode.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		st.SetAttr("from", romeo)
		svc.HandleStanza(st)
	}
	configure := func(room, public, name string) {
		handle(`<iq xmlns="jabber:client" type="set" id="c" to="` + room + `"><query xmlns="http://jabber.org/protocol/muc#owner"><x xmlns="jabber:x:data" type="submit"><field var="FORM_TYPE"><value>http://jabber.org/protocol/muc#roomconfig</value></field>` +
			`<field var="muc#roomconfig_publicroom"><value>` + public + `</value></field><field var="muc#roomconfig_roomname"><value>` + name + `</value></field></x></query></iq>`)
	}
	want := func() []listedRoom {
		var out []listedRoom
		for j, r := range svc.rooms {
			if r.conf.public && !r.isLocked() {
				out = append(out, listedRoom{jid: j, name: r.conf.name})
			}
		}
		slices.SortFunc(out, func(a, b listedRoom) int { return strings.Compare(a.jid, b.jid) })
		return out
	}
	check := func(step string) {
		t.Helper()
		svc.mu.Lock()
		got, w := svc.publicRooms(), want()
		svc.mu.Unlock()
		if !slices.Equal(got, w) {
			t.Fatalf("%s: listing %v, rooms say %v", step, got, w)
		}
	}
	room := func(i int) string { return fmt.Sprintf("r%d@%s", (i*7)%20, service) }
	for i := range 20 {
		handle(`<presence xmlns="jabber:client" to="` + room(i) + `/o"><x xmlns="http://jabber.org/protocol/muc"/></presence>`)
		check("created " + room(i))
		if i%5 != 4 { // every fifth stays locked
			configure(room(i), []string{"1", "0"}[i%2], fmt.Sprintf("name %d", i))
			check("configured " + room(i))
		}
	}
	for i := range 20 {
		if i%3 == 0 {
			configure(room(i), "1", fmt.Sprintf("renamed %d", i))
			check("renamed " + room(i))
		}
		if i%4 == 0 {
			handle(`<iq xmlns="jabber:client" type="set" id="d" to="` + room(i) + `"><query xmlns="http://jabber.org/protocol/muc#owner"><destroy/></query></iq>`)
			check("destroyed " + room(i))
		}
	}
	if len(want()) == 0 {
		t.Fatal("no room listed: the test lists nothing")
	}
}

// FuzzListingPage: any RSM <set/> on the listing is either refused or
// answered with a page of the listing, in order, within max.
func FuzzListingPage(f *testing.F) {
	for _, s := range []string{"<max>2</max>", "<max>1</max><before/>", "<after>r3@" + service + "</after>", "<index>9</index>", "<max>-1</max>", "<before>zz</before><after>a</after>"} {
		f.Add(s)
	}
	svc := New(Config{Domain: service})
	for i := range 6 {
		j := fmt.Sprintf("r%d@%s", i, service)
		svc.rooms[j] = &room{svc: svc, jid: j, conf: roomConfig{public: true, name: j}}
		svc.relist(svc.rooms[j])
	}
	f.Fuzz(func(t *testing.T, set string) {
		q, err := xmlnode.Parse(`<query xmlns="http://jabber.org/protocol/disco#items"><set xmlns="http://jabber.org/protocol/rsm">` + set + `</set></query>`)
		if err != nil {
			return
		}
		p, paged, bad := parsePage(q)
		if !paged || bad {
			return
		}
		rooms, first, count := svc.page(p)
		if count != 6 || first < 0 || first+len(rooms) > count || (p.max >= 0 && len(rooms) > p.max) {
			t.Fatalf("%s: %d rooms from %d of %d", set, len(rooms), first, count)
		}
		for i, r := range rooms {
			if r != svc.listed.rooms[first+i] {
				t.Fatalf("%s: room %d is %v, listing has %v", set, i, r, svc.listed.rooms[first+i])
			}
		}
	})
}
