package hostile_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/muctest/muctest/client"
	"github.com/muctest/muctest/xmlnode"
)

// This file is the measuring side of the resource-limit tests
// (resources_test.go): a witness that keeps pinging the server while an
// attack runs, and a heap baseline to check that the attack's memory comes
// back once the attacker is gone.

// rttWitness is a client that pings the server in a loop while an attack
// runs. Every ping must be answered; the round trips are reported, not
// asserted (timing depends on the machine), except that one over
// rttGenerous fails the test as a sign that the server stalled.
type rttWitness struct {
	t    *testing.T
	stop chan struct{}
	done chan struct{}

	mu    sync.Mutex
	n     int
	max   time.Duration
	total time.Duration
	err   error
}

// rttGenerous is far above any round trip a served client sees on a loaded
// CI machine; a witness waiting that long means the attack stalled it.
const rttGenerous = 5 * time.Second

// rttPace spaces the witness's pings (pacing, not synchronisation).
const rttPace = 5 * time.Millisecond

// watch logs user in as a witness with its own connection and starts
// pinging; stop ends the loop and reports.
func (e *env) watch(user string) *rttWitness {
	e.t.Helper()
	c := e.dial(user, "rtt")
	w := &rttWitness{t: e.t, stop: make(chan struct{}), done: make(chan struct{})}
	go w.loop(c)
	return w
}

func (w *rttWitness) loop(c *client.Conn) {
	defer close(w.done)
	for i := 0; ; i++ {
		select {
		case <-w.stop:
			return
		case <-time.After(rttPace):
		}
		id := fmt.Sprintf("rtt%d", i)
		start := time.Now()
		err := c.Send(xmlnode.New("jabber:client", "iq", "type", "get", "id", id, "to", "localhost").
			Append(xmlnode.New("urn:xmpp:ping", "ping")))
		var r *xmlnode.Element
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), rttGenerous)
			r, err = c.RecvContext(ctx)
			cancel()
		}
		if err == nil && (r.Attrib("id") != id || r.Attrib("type") != "result") {
			err = fmt.Errorf("ping %s answered with %s", id, r)
		}
		rtt := time.Since(start)
		w.mu.Lock()
		if err != nil {
			w.err = fmt.Errorf("witness ping %d after %v: %w", i, rtt, err)
			w.mu.Unlock()
			return
		}
		w.n++
		w.total += rtt
		w.max = max(w.max, rtt)
		w.mu.Unlock()
	}
}

// finish stops the witness, fails the test if a ping failed, and logs the
// round trips. It returns the worst one.
func (w *rttWitness) finish() time.Duration {
	w.t.Helper()
	close(w.stop)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		w.t.Fatal(w.err)
	}
	avg := time.Duration(0)
	if w.n > 0 {
		avg = w.total / time.Duration(w.n)
	}
	w.t.Logf("witness: %d pings during the attack, round trip max %v, mean %v", w.n, w.max.Round(time.Microsecond), avg.Round(time.Microsecond))
	return w.max
}

// heapSlack is how far above its baseline the heap may stay once an
// attack is over: a few MB of pools, caches and the test's own state.
const heapSlack = 8 << 20

// heapBaseline returns the live heap after a collection, for heapBack.
func heapBaseline() uint64 {
	runtime.GC()
	runtime.GC() // a second cycle empties sync.Pool's victim cache
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// heapBack checks that the live heap, once the server is idle and after a
// collection, is within heapSlack of base: what the attack made the server
// hold has been given back. peak, when known, is logged beside it.
func (e *env) heapBack(base uint64, peak uint64) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := e.srv.WaitIdle(ctx); err != nil {
		e.t.Fatalf("server never idle after the attack: %v", err)
	}
	now := heapBaseline()
	e.t.Logf("heap: %.1f MB before, %.1f MB at the attack's peak, %.1f MB after", mb(base), mb(peak), mb(now))
	if now > base+heapSlack {
		e.t.Errorf("heap %.1f MB after the attack, %.1f MB before: the server kept %.1f MB", mb(now), mb(base), mb(now-base))
	}
}

// heapNow is the live heap without a collection (a peak reading).
func heapNow() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func mb(b uint64) float64 { return float64(b) / (1 << 20) }
