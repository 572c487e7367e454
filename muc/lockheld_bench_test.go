package muc

import (
	"github.com/muctest/muctest/internal/cputime"

	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/muctest/muctest/component"
	"github.com/muctest/muctest/xmlnode"
)

// BenchmarkServiceLockHeld measures single stanzas whose work grows with
// what users made the service hold, all under the service's one mutex
// (every room waits meanwhile): locked-ns/op runs from the call of
// HandleStanza to the lock's release (Service.unlocked; the listing's
// sort and items are made after it), locked-cpu-ns/op the CPU time of the
// same span on the benchmark's thread, the figure to compare on a shared
// machine. The stanzas: disco#items over quota.DefaultMUCRooms
// public rooms, a member list of MaxRegistered-sized affiliation lists,
// and the creation of one more room by a user who owns many (the
// MaxRoomsPerUser count scans every room).
//
//	go test -run '^$' -bench ServiceLockHeld ./muc
func BenchmarkServiceLockHeld(b *testing.B) {
	routed := 0
	svc := New(Config{Domain: service, Router: component.RouterFunc(func(*xmlnode.Element) { routed++ }),
		Limits: Limits{MaxRoomsPerUser: 1 << 20}})
	handle := func(from, s string) {
		st, err := xmlnode.Parse(s)
		if err != nil {
			b.Fatal(err)
		}
		st.SetAttr("from", from)
		svc.HandleStanza(st)
	}
	const rooms, members = 10000, 1000
	for i := range rooms {
		room := fmt.Sprintf("r%d@%s", i, service)
		handle(romeo, `<presence xmlns="jabber:client" to="`+room+`/o"><x xmlns="http://jabber.org/protocol/muc"/></presence>`)
		handle(romeo, `<iq xmlns="jabber:client" type="set" id="c" to="`+room+`"><query xmlns="http://jabber.org/protocol/muc#owner"><x xmlns="jabber:x:data" type="submit"><field var="FORM_TYPE"><value>http://jabber.org/protocol/muc#roomconfig</value></field><field var="muc#roomconfig_publicroom"><value>1</value></field></x></query></iq>`)
	}
	room0 := "r0@" + service
	for i := range members {
		handle(romeo, fmt.Sprintf(`<iq xmlns="jabber:client" type="set" id="a" to="%s"><query xmlns="http://jabber.org/protocol/muc#admin"><item affiliation="member" jid="m%d@localhost"/></query></iq>`, room0, i))
	}
	for _, bc := range []struct{ name, from, stanza string }{
		{"disco-items-10000-rooms", juliet, `<iq xmlns="jabber:client" type="get" id="d" to="` + service + `"><query xmlns="http://jabber.org/protocol/disco#items"/></iq>`},
		{"disco-items-page-of-50-of-10000", juliet, `<iq xmlns="jabber:client" type="get" id="d" to="` + service + `"><query xmlns="http://jabber.org/protocol/disco#items"><set xmlns="http://jabber.org/protocol/rsm"><max>50</max><after>r5000@` + service + `</after></set></query></iq>`},
		{"member-list-1000", romeo, `<iq xmlns="jabber:client" type="get" id="m" to="` + room0 + `"><query xmlns="http://jabber.org/protocol/muc#admin"><item affiliation="member"/></query></iq>`},
		{"create-room-owning-10000", romeo, `<presence xmlns="jabber:client" to="new@` + service + `/o"><x xmlns="http://jabber.org/protocol/muc"/></presence>`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			runtime.LockOSThread() // threadCPU measures this goroutine's thread
			defer runtime.UnlockOSThread()
			var unlockedAt time.Time
			var unlockedCPU time.Duration
			svc.unlocked = func() { unlockedAt, unlockedCPU = time.Now(), cputime.Thread() }
			defer func() { svc.unlocked = nil }()
			el, err := xmlnode.Parse(bc.stanza)
			if err != nil {
				b.Fatal(err)
			}
			el.SetAttr("from", bc.from)
			var held, cpu time.Duration
			for b.Loop() {
				b.StopTimer()
				st := el.Copy()
				routed = 0
				b.StartTimer()
				t0, c0 := time.Now(), cputime.Thread()
				svc.HandleStanza(st)
				held += unlockedAt.Sub(t0)
				cpu += unlockedCPU - c0
				b.StopTimer()
				if routed == 0 {
					b.Fatal("no answer")
				}
				if r := svc.rooms["new@"+service]; r != nil {
					r.forget() // the next creation creates again
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(held.Nanoseconds())/float64(b.N), "locked-ns/op")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "locked-cpu-ns/op")
		})
	}
}
