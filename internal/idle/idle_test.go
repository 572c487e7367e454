package idle

import (
	"context"
	"errors"
	"testing"
)

func TestIdleTracker(t *testing.T) {
	var tr Tracker
	tr.Init()
	if err := tr.Wait(context.Background()); err != nil {
		t.Fatalf("idle at start: %v", err)
	}
	tr.Add(2)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := tr.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("busy: wait = %v, want context.Canceled", err)
	}
	tr.Add(-1)
	if err := tr.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("still busy: wait = %v, want context.Canceled", err)
	}
	done := make(chan error)
	go func() { done <- tr.Wait(context.Background()) }()
	tr.Add(-1)
	if err := <-done; err != nil {
		t.Fatalf("wait after reaching zero: %v", err)
	}
	tr.Add(-1) // a bookkeeping bug must not wedge or panic
	if err := tr.Wait(context.Background()); err != nil {
		t.Fatalf("after underflow: %v", err)
	}
}

// TestWaitIdleAfter checks the tracker's waitIdleAfter: from an idle state
// gen it waits while nothing has happened and while work that started
// since is in flight, and returns once that work has ended or a poke ran
// while idle (a session ended), without waiting when that was before it
// was called.
func TestWaitIdleAfter(t *testing.T) {
	var tr Tracker
	tr.Init()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	gen, busy := tr.State()
	if busy {
		t.Fatal("busy at start")
	}
	if err := tr.WaitIdleAfter(cancelled, gen); !errors.Is(err, context.Canceled) {
		t.Fatalf("nothing happened: waitIdleAfter = %v, want context.Canceled", err)
	}
	tr.Add(1)
	if err := tr.WaitIdleAfter(cancelled, gen); !errors.Is(err, context.Canceled) {
		t.Fatalf("work in flight: waitIdleAfter = %v, want context.Canceled", err)
	}
	done := make(chan error)
	go func() { done <- tr.WaitIdleAfter(context.Background(), gen) }()
	tr.Add(-1)
	if err := <-done; err != nil {
		t.Fatalf("work ended: waitIdleAfter = %v", err)
	}
	if err := tr.WaitIdleAfter(cancelled, gen); err != nil {
		t.Fatalf("work ended before the call: waitIdleAfter = %v", err)
	}
	gen, _ = tr.State()
	go func() { done <- tr.WaitIdleAfter(context.Background(), gen) }()
	tr.Poke()
	if err := <-done; err != nil {
		t.Fatalf("poke while idle: waitIdleAfter = %v", err)
	}
	tr.Add(1)
	gen, _ = tr.State()
	tr.Poke() // while busy: the work in flight has not ended
	if err := tr.WaitIdleAfter(cancelled, gen); !errors.Is(err, context.Canceled) {
		t.Fatalf("poke while busy: waitIdleAfter = %v, want context.Canceled", err)
	}
	tr.Add(-1)
	if err := tr.WaitIdleAfter(cancelled, gen); err != nil {
		t.Fatalf("after the poke and the work's end: waitIdleAfter = %v", err)
	}
}
