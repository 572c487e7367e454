package fanout

import (
	"context"
	"slices"
	"time"
)

// sequence is what a receiver knows of one sender's markers: the MUC
// benchmark keeps one per sender of the room, the PEP one a single one
// for the publisher.
type sequence struct {
	seen []uint64 // bitset of sequence numbers received
	max  int      // highest sequence received, -1 before any
	fin  bool     // the sender's fin arrived
}

// newSequence is a sequence for n markers and the fin.
func newSequence(n int) sequence { return sequence{seen: make([]uint64, (n+64)/64), max: -1} }

// tally is what one client counts of the markers it receives in the
// measured phase, the same for both benchmarks so that their Results mean
// the same.
type tally struct {
	lat              []int64 // one-way latency of each delivery, in ns
	delivered, dup   int64
	ooo, errs, bogus int64
	last             time.Time // the last delivery
}

// arrive counts marker seq of s, sent at sent (ns since epoch) and read
// at now: a duplicate, or a delivery (out of order if a later one came
// first).
func (t *tally) arrive(s *sequence, seq, sent int, now, epoch time.Time) {
	w, bit := seq/64, uint64(1)<<(seq%64)
	if s.seen[w]&bit != 0 {
		t.dup++
		return
	}
	s.seen[w] |= bit
	if seq < s.max {
		t.ooo++
	} else {
		s.max = seq
	}
	t.delivered++
	t.lat = append(t.lat, int64(now.Sub(epoch))-int64(sent))
	t.last = now
}

// finArrived counts s's fin, and reports whether it is its first.
func (t *tally) finArrived(s *sequence) bool {
	if s.fin {
		t.dup++
		return false
	}
	s.fin = true
	return true
}

// add sums the tallies into res, and its timing from start: the elapsed
// time to the last delivery, the rate and the latency percentiles.
func (res *Result) add(start time.Time, ts ...*tally) {
	var all []int64
	var last time.Time
	for _, t := range ts {
		res.Delivered += t.delivered
		res.Duplicated += t.dup
		res.OutOfOrder += t.ooo
		res.Errors += t.errs + t.bogus
		all = append(all, t.lat...)
		if t.last.After(last) {
			last = t.last
		}
	}
	res.Lost = res.Expected - res.Delivered
	if !last.IsZero() {
		res.Elapsed = last.Sub(start)
	}
	if res.Elapsed > 0 {
		res.PerSecond = float64(res.Delivered) / res.Elapsed.Seconds()
	}
	if len(all) > 0 {
		slices.Sort(all)
		res.P50 = time.Duration(all[len(all)/2])
		res.P99 = time.Duration(all[min(len(all)-1, len(all)*99/100)])
		res.Max = time.Duration(all[len(all)-1])
	}
}

// waitAll waits for every channel to be closed, and reports whether they
// all were before timeout passed or ctx ended.
func waitAll(ctx context.Context, timeout time.Duration, chans []<-chan struct{}) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for _, c := range chans {
		select {
		case <-c:
		case <-deadline.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
	return true
}
