package server

import (
	"context"
	"errors"
	"testing"
)

// TestWaitIdleAfter checks the tracker's waitIdleAfter: from an idle state
// gen it waits while nothing has happened and while work that started
// since is in flight, and returns once that work has ended or a poke ran
// while idle (a session ended), without waiting when that was before it
// was called.
func TestWaitIdleAfter(t *testing.T) {
	var tr idleTracker
	tr.init()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	gen, busy := tr.state()
	if busy {
		t.Fatal("busy at start")
	}
	if err := tr.waitIdleAfter(cancelled, gen); !errors.Is(err, context.Canceled) {
		t.Fatalf("nothing happened: waitIdleAfter = %v, want context.Canceled", err)
	}
	tr.add(1)
	if err := tr.waitIdleAfter(cancelled, gen); !errors.Is(err, context.Canceled) {
		t.Fatalf("work in flight: waitIdleAfter = %v, want context.Canceled", err)
	}
	done := make(chan error)
	go func() { done <- tr.waitIdleAfter(context.Background(), gen) }()
	tr.add(-1)
	if err := <-done; err != nil {
		t.Fatalf("work ended: waitIdleAfter = %v", err)
	}
	if err := tr.waitIdleAfter(cancelled, gen); err != nil {
		t.Fatalf("work ended before the call: waitIdleAfter = %v", err)
	}
	gen, _ = tr.state()
	go func() { done <- tr.waitIdleAfter(context.Background(), gen) }()
	tr.poke()
	if err := <-done; err != nil {
		t.Fatalf("poke while idle: waitIdleAfter = %v", err)
	}
	tr.add(1)
	gen, _ = tr.state()
	tr.poke() // while busy: the work in flight has not ended
	if err := tr.waitIdleAfter(cancelled, gen); !errors.Is(err, context.Canceled) {
		t.Fatalf("poke while busy: waitIdleAfter = %v, want context.Canceled", err)
	}
	tr.add(-1)
	if err := tr.waitIdleAfter(cancelled, gen); err != nil {
		t.Fatalf("after the poke and the work's end: waitIdleAfter = %v", err)
	}
}

// TestWaitSettledWaitsForWork checks that WaitSettled, with every count
// read already, still waits for work in flight (here counted by hand, as
// a session's writer would be) and returns at once without any.
func TestWaitSettledWaitsForWork(t *testing.T) {
	s, err := New(Config{AnyPassword: true, NoTLS: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.WaitSettled(cancelled, nil); err != nil {
		t.Fatalf("idle: WaitSettled = %v", err)
	}
	s.idle.add(1)
	if err := s.WaitSettled(cancelled, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("work in flight: WaitSettled = %v, want context.Canceled", err)
	}
	done := make(chan error)
	go func() { done <- s.WaitSettled(context.Background(), []ReadWant{{Remote: "127.0.0.1:1", N: 1}}) }()
	s.idle.add(-1)
	if err := <-done; err != nil {
		t.Fatalf("after the work: WaitSettled = %v", err)
	}
}

// TestWaitSettledCountsAgain: counts taken while work was in flight are
// not final even if the server is idle just after (the work may have
// written more meanwhile): WaitSettled takes them again, and returns
// only after a pass that the server was idle through.
func TestWaitSettledCountsAgain(t *testing.T) {
	s, err := New(Config{AnyPassword: true, NoTLS: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	passes := 0
	testHookCounted = func() {
		passes++
		if passes == 1 {
			s.idle.add(-1) // the work in flight during the first pass ends
		}
	}
	defer func() { testHookCounted = nil }()
	s.idle.add(1)
	if err := s.WaitSettled(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if passes != 2 {
		t.Fatalf("%d passes over the counts, want 2: the first was taken while busy", passes)
	}
}
