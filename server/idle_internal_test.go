package server

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestIdleTracker(t *testing.T) {
	var tr idleTracker
	tr.init()
	if err := tr.wait(context.Background()); err != nil {
		t.Fatalf("idle at start: %v", err)
	}
	tr.add(2)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := tr.wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("busy: wait = %v, want context.Canceled", err)
	}
	tr.add(-1)
	if err := tr.wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("still busy: wait = %v, want context.Canceled", err)
	}
	done := make(chan error)
	go func() { done <- tr.wait(context.Background()) }()
	tr.add(-1)
	if err := <-done; err != nil {
		t.Fatalf("wait after reaching zero: %v", err)
	}
	tr.add(-1) // a bookkeeping bug must not wedge or panic
	if err := tr.wait(context.Background()); err != nil {
		t.Fatalf("after underflow: %v", err)
	}
}

// TestReleaseMemory drives the idle tracker by hand and counts releases:
// one per quiet spell that follows work, none while busy or without work.
func TestReleaseMemory(t *testing.T) {
	s := &Server{}
	s.idle.init()
	freed := make(chan struct{}, 10)
	stop := make(chan struct{})
	s.wg.Add(1)
	go s.releaseMemory(time.Millisecond, stop, func() { freed <- struct{}{} })
	defer func() { close(stop); s.wg.Wait() }()

	s.idle.add(1) // busy: no release however long it lasts
	expectNoRelease(t, freed)
	s.idle.add(-1)
	expectRelease(t, freed)
	expectNoRelease(t, freed) // no work since: nothing more to give back
	s.idle.add(1)
	s.idle.add(-1)
	expectRelease(t, freed)
}

func expectRelease(t *testing.T, freed chan struct{}) {
	t.Helper()
	select {
	case <-freed:
	case <-time.After(10 * time.Second):
		t.Fatal("no release after work and a quiet spell")
	}
}

// expectNoRelease watches a few dozen periods.
func expectNoRelease(t *testing.T, freed chan struct{}) {
	t.Helper()
	select {
	case <-freed:
		t.Fatal("memory released without new work or while busy")
	case <-time.After(50 * time.Millisecond):
	}
}
