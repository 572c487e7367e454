package server

import (
	"context"
	"errors"
	"testing"
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
