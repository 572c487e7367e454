// Package idle tracks a server's in-flight work, so that tests and the
// scansion runner can wait for the server to go quiet (Server.WaitIdle,
// WaitHandled, WaitRead, WaitSettled) by sleeping on a channel made only
// when someone waits, instead of polling on timers.
package idle

import (
	"context"
	"sync"
)

// Tracker counts the server's in-flight work for Server.WaitIdle and the
// waits built on it. The zero value is ready (idle, nobody waiting).
type Tracker struct {
	mu  sync.Mutex
	n   int
	gen uint64 // how many times n left zero (or poke ran): a work counter
	// zero, when a waiter has asked for it while work was in flight
	// (wait), is closed when n returns to zero: work that nobody waits
	// for costs no channel per transition.
	zero chan struct{}
	// left, when a waiter has asked for it (waitLeft), is closed the next
	// time n leaves zero: nobody waiting costs nothing per transition.
	left chan struct{}
	// settled, when a waiter has asked for it (waitIdleAfter), is closed
	// the next time n returns to zero, or poke runs while n is zero.
	settled chan struct{}
}

// State returns the work counter and whether work is in flight.
func (t *Tracker) State() (gen uint64, busy bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.gen, t.n != 0
}

// Init readies t; the zero value is ready too (idle, nobody waiting).
func (t *Tracker) Init() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.zero = nil
}

func (t *Tracker) Add(d int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	was := t.n
	t.n += d
	if t.n < 0 {
		// A bookkeeping bug; never let it wedge WaitIdle.
		t.n = 0
	}
	switch {
	case t.n == 0 && was != 0:
		if t.zero != nil {
			close(t.zero)
			t.zero = nil
		}
		t.settleLocked()
	case t.n != 0 && was == 0:
		t.advanceLocked()
	}
}

// advanceLocked moves the work counter on and wakes waitLeft's waiters.
func (t *Tracker) advanceLocked() {
	t.gen++
	if t.left != nil {
		close(t.left)
		t.left = nil
	}
}

// poke moves the work counter on without work in flight, waking waitLeft's
// waiters: something they look at has changed.
func (t *Tracker) Poke() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.advanceLocked()
	if t.n == 0 {
		t.settleLocked()
	}
}

// WaitLeft waits until the work counter has moved past gen (some work
// has started since), or ctx ends.
func (t *Tracker) WaitLeft(ctx context.Context, gen uint64) error {
	return t.waitUntil(ctx, func() bool { return t.gen != gen }, &t.left)
}

func (t *Tracker) Wait(ctx context.Context) error {
	return t.waitUntil(ctx, func() bool { return t.n == 0 }, &t.zero)
}

// waitUntil is every wait of the tracker: it returns at once when done
// (called with t.mu held) is true, else waits until the channel *ch is
// closed (made here when no one waits on it yet) or ctx ends.
func (t *Tracker) waitUntil(ctx context.Context, done func() bool, ch *chan struct{}) error {
	t.mu.Lock()
	if done() {
		t.mu.Unlock()
		return nil
	}
	if *ch == nil {
		*ch = make(chan struct{})
	}
	c := *ch
	t.mu.Unlock()
	select {
	case <-c:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// settleLocked wakes waitIdleAfter's waiters: n is zero after some work,
// or poke ran while it was.
func (t *Tracker) settleLocked() {
	if t.settled != nil {
		close(t.settled)
		t.settled = nil
	}
}

// WaitIdleAfter waits until the work counter has moved past gen and no
// work is in flight (the server went idle after some work started, or
// poke ran while idle), or ctx ends. gen is a state the caller saw idle.
func (t *Tracker) WaitIdleAfter(ctx context.Context, gen uint64) error {
	return t.waitUntil(ctx, func() bool { return t.gen != gen && t.n == 0 }, &t.settled)
}
