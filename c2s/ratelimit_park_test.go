//go:build linux

package c2s

import (
	"bufio"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/muctest/muctest/netpoll"
)

// TestReadRateParkedWake checks a parked session woken over its allowance:
// it is resumed by a timer once the allowance is back, counting idle
// meanwhile, not by a goroutine that would wait; then it handles the
// stanza that woke it and parks again, as any session.
func TestReadRateParkedWake(t *testing.T) {
	conn, client := tcpPair(t)
	p, err := netpoll.New()
	if err != nil {
		t.Fatal(err)
	}
	h, busy := &fakeHost{}, &counter{}
	rl := NewReadLimiter()
	cfg := &Config{Domain: "localhost", Auth: fakeAuth{}, Host: h, Busy: busy.add, Poller: p, ParkAfter: time.Millisecond,
		ReadLimiter: rl, Limits: Limits{ReadRate: 1 << 20, ReadBurst: 1 << 20}}
	ph := &parkHarness{s: New(conn, cfg), client: client, r: bufio.NewReader(client), h: h, busy: busy, poller: p}
	go ph.s.Run()
	t.Cleanup(func() {
		client.Close()
		<-ph.s.Done()
		p.Close()
	})
	var delayed atomic.Int32
	var busyThen atomic.Int32
	hook := func(*Session, time.Duration) {
		delayed.Add(1)
		n, _ := busy.get()
		busyThen.Store(int32(n))
	}
	testHookWakeDelay.Store(&hook)
	t.Cleanup(func() { testHookWakeDelay.Store(nil) })
	// A reader goroutine waiting in Read instead would show as a wait
	// before the stanza is handled (once handled, the stanza's own cost
	// may put the session over again: later waits are not the wake's).
	var early atomic.Int32
	throttled := func(*Session, time.Duration) {
		if ph.stanzas() == 0 {
			early.Add(1)
		}
	}
	testHookThrottle.Store(&throttled)
	t.Cleanup(func() { testHookThrottle.Store(nil) })

	io.WriteString(ph.client, login)
	ph.readUntil(t, "</iq>")
	ph.awaitParked(t)
	// The account's allowance spent for the next half second, as after a
	// flood (at this rate a stanza costs microseconds, so the one that
	// wakes the session does not spend it again): the share is the only state the test can set while
	// another goroutine may read it.
	rl.mu.Lock()
	sh := rl.m["user"]
	rl.mu.Unlock()
	if sh == nil {
		t.Fatal("the session did not join its account's allowance")
	}
	_, burst, _ := ph.s.limits.readPace()
	sh.tat.Store(readClock() + burst + int64(500*time.Millisecond))

	io.WriteString(ph.client, "<message to='x@localhost'><body>hi</body></message>")
	ph.awaitStanzas(t, 1)
	if delayed.Load() != 1 {
		t.Fatalf("%d wakes waited for the allowance, want 1", delayed.Load())
	}
	if n := busyThen.Load(); n != 0 {
		t.Errorf("busy count %d while the wake waited for the allowance, want 0", n)
	}
	if n := early.Load(); n != 0 {
		t.Errorf("the woken session's reader waited %d times for the allowance, want none: a timer resumes it", n)
	}
	ph.awaitParked(t)
	// The allowance is back: the next wake is at once.
	io.WriteString(ph.client, "<message to='x@localhost'><body>again</body></message>")
	ph.awaitStanzas(t, 2)
	if delayed.Load() != 1 {
		t.Fatalf("%d wakes waited, want still 1", delayed.Load())
	}
	ph.awaitParked(t)
	io.WriteString(ph.client, "</stream:stream>")
	ph.readUntil(t, "</stream:stream>")
	ph.awaitEnd(t, "")
}
