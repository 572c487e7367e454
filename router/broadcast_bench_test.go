package router_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/muctest/muctest/internal/cputime"
	"github.com/muctest/muctest/mod/roster"
	"github.com/muctest/muctest/moduletest"
)

// BenchmarkPresenceBroadcast is the whole cost of a presence update to
// 1,000 subscribed contacts, every span of it (router/broadcast.go
// splits it): cpu-ns/op is the CPU time of the thread that routes it,
// the figure to compare on a shared machine (what the client's
// goroutine spends, the lock's handovers included).
func BenchmarkPresenceBroadcast(b *testing.B) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	s := moduletest.New(b, roster.Module{})
	alice, contacts := subscribedContacts(b, s, 1000)
	shows := []string{`<presence><show>away</show></presence>`, `<presence><show>dnd</show></presence>`}
	var cpu time.Duration
	i := 0
	for b.Loop() {
		start := cputime.Thread()
		alice.Send(shows[i%2])
		cpu += cputime.Thread() - start
		i++
		b.StopTimer()
		alice.Received()
		for _, c := range contacts {
			c.Received()
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
}
