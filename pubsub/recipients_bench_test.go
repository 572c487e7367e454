package pubsub

import (
	"runtime"
	"strconv"
	"testing"

	"github.com/muctest/muctest/internal/cputime"
)

// BenchmarkRecipients is the recipients of a PEP publish to 1,000 +notify
// contacts allowed by the presence access model (XEP-0163 filtered
// notifications), with one resource each and with two, what the router's
// lock is held for in a publish (issue 11). cpu-ns/op is the thread's CPU
// time, the figure to compare on a shared machine.
//
//	go test -run '^$' -bench Recipients ./pubsub
func BenchmarkRecipients(b *testing.B) {
	for _, perContact := range []int{1, 2} {
		b.Run(strconv.Itoa(perContact)+"-resources", func(b *testing.B) {
			r := fakeRoster{sub: map[string]bool{}}
			var interested []string
			for i := range 1000 {
				bare := "c" + strconv.Itoa(i) + "@localhost"
				r.sub[bare] = true
				for k := range perContact {
					interested = append(interested, bare+"/r"+strconv.Itoa(k))
				}
			}
			s := pep(r, func(string) []string { return interested })
			send(&testing.T{}, s, romeoSelf, publishIQ("tune", "current", `<tune xmlns="http://jabber.org/protocol/tune"/>`))
			n := s.nodes["tune"]
			if n == nil || n.cfg.AccessModel != AccessPresence {
				b.Fatal("no presence-access node tune")
			}
			runtime.LockOSThread() // cputime.Thread measures this goroutine's thread
			defer runtime.UnlockOSThread()
			b.ReportAllocs()
			cpu0 := cputime.Thread()
			for b.Loop() {
				if got := s.recipients(n); len(got) != len(interested) {
					b.Fatalf("%d recipients, want %d", len(got), len(interested))
				}
			}
			b.ReportMetric(float64((cputime.Thread()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}
