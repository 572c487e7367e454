package fanout_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/muctest/muctest/bench/fanout"
	"github.com/muctest/muctest/quota"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
)

// BenchmarkFanout measures groupchat fan-out through the in-process server
// over loopback TCP, with the engine of cmd/mucbench. One op is one run in
// which every occupant sends 10 groupchat messages; logins and joins are
// not timed. It fails if any delivery is lost, duplicated or out of order.
func BenchmarkFanout(b *testing.B) {
	for _, bc := range []struct{ rooms, occupants int }{{1, 10}, {1, 100}, {5, 100}} {
		b.Run(fmt.Sprintf("rooms=%d/occupants=%d", bc.rooms, bc.occupants), func(b *testing.B) {
			srv := servertest.New(b, server.Config{AnyPassword: true, NoTLS: true, Quotas: quota.Limits{AccountsPerIPPerMinute: -1}})
			var delivered int64
			var elapsed time.Duration
			var p99 time.Duration
			for b.Loop() {
				b.StopTimer()
				bench, err := fanout.Setup(context.Background(), fanout.Config{
					Addr: srv.Addr().String(), Rooms: bc.rooms, Occupants: bc.occupants, Messages: 10,
				})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				res, err := bench.Run(context.Background())
				b.StopTimer()
				bench.Close()
				if err != nil {
					b.Fatal(err)
				}
				if !res.OK() {
					b.Fatalf("faulty delivery: %+v", res)
				}
				delivered += res.Delivered
				elapsed += res.Elapsed
				p99 = max(p99, res.P99)
				b.StartTimer()
			}
			if elapsed > 0 {
				b.ReportMetric(float64(delivered)/elapsed.Seconds(), "stanzas/s")
			}
			b.ReportMetric(float64(p99.Microseconds()), "p99-µs")
		})
	}
}
