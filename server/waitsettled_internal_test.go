package server

import (
	"context"
	"errors"
	"testing"
)

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
	s.idle.Add(1)
	if err := s.WaitSettled(cancelled, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("work in flight: WaitSettled = %v, want context.Canceled", err)
	}
	done := make(chan error)
	go func() { done <- s.WaitSettled(context.Background(), []ReadWant{{Remote: "127.0.0.1:1", N: 1}}) }()
	s.idle.Add(-1)
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
			s.idle.Add(-1) // the work in flight during the first pass ends
		}
	}
	defer func() { testHookCounted = nil }()
	s.idle.Add(1)
	if err := s.WaitSettled(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if passes != 2 {
		t.Fatalf("%d passes over the counts, want 2: the first was taken while busy", passes)
	}
}
