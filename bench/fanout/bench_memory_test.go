package fanout_test

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/muctest/muctest/component"
	"github.com/muctest/muctest/muc"
	"github.com/muctest/muctest/xmlnode"
)

// BenchmarkMUCOccupantMemory measures what one room occupant costs the MUC
// service itself, apart from its client connection: 100 rooms of 100
// occupants are joined on a muc.Service whose router drops everything,
// and the live heap growth is divided by the occupants. (mucbench's "RSS
// per occupant" is per connection: socket buffers, the session's two
// goroutines and the Go runtime's slack come on top.)
func BenchmarkMUCOccupantMemory(b *testing.B) {
	const rooms, perRoom = 100, 100
	drop := component.RouterFunc(func(*xmlnode.Element) {})
	var perOccupant float64
	for b.Loop() {
		b.StopTimer()
		before := liveHeap()
		b.StartTimer()
		svc := muc.New(muc.Config{Domain: "conference.localhost", Router: drop})
		for r := 0; r < rooms; r++ {
			room := fmt.Sprintf("room%d@conference.localhost", r)
			for i := 0; i < perRoom; i++ {
				user := fmt.Sprintf("user%d-%d@localhost/res", r, i)
				svc.HandleStanza(xmlnode.MustParse(`<presence xmlns="jabber:client" from="` + user +
					`" to="` + room + `/nick` + fmt.Sprint(i) + `"><x xmlns="http://jabber.org/protocol/muc"/></presence>`))
				if i == 0 { // the creator makes it an instant room
					svc.HandleStanza(xmlnode.MustParse(`<iq xmlns="jabber:client" type="set" id="c" from="` + user +
						`" to="` + room + `"><query xmlns="http://jabber.org/protocol/muc#owner">` +
						`<x xmlns="jabber:x:data" type="submit"/></query></iq>`))
				}
			}
		}
		b.StopTimer()
		perOccupant = float64(liveHeap()-before) / (rooms * perRoom)
		runtime.KeepAlive(svc)
		b.StartTimer()
	}
	b.ReportMetric(perOccupant, "B/occupant")
}

func liveHeap() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
