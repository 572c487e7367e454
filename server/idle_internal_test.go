package server

import (
	"testing"
	"time"
)

// TestReleaseMemory drives the idle tracker by hand and counts releases:
// one per quiet spell that follows work, none while busy or without work.
func TestReleaseMemory(t *testing.T) {
	s := &Server{}
	s.idle.Init()
	freed := make(chan struct{}, 10)
	stop := make(chan struct{})
	s.wg.Add(1)
	go s.releaseMemory(time.Millisecond, stop, func() { freed <- struct{}{} })
	defer func() { close(stop); s.wg.Wait() }()

	s.idle.Add(1) // busy: no release however long it lasts
	expectNoRelease(t, freed)
	s.idle.Add(-1)
	expectRelease(t, freed)
	expectNoRelease(t, freed) // no work since: nothing more to give back
	s.idle.Add(1)
	s.idle.Add(-1)
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
