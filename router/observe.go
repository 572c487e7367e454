package router

import "sync"

// spanMutex is the router's lock, which can tell an observer when each
// span under it starts and ends (ObserveLock): what BenchmarkLockHeld
// (package hostile) measures every span with, issue 11's bound being
// per span. Without an observer it is a sync.Mutex and a nil check.
type spanMutex struct {
	sync.Mutex
	// observe is read and written only with the mutex held.
	observe func(held bool)
}

func (m *spanMutex) Lock() {
	m.Mutex.Lock()
	if m.observe != nil {
		m.observe(true)
	}
}

func (m *spanMutex) Unlock() {
	if m.observe != nil {
		m.observe(false)
	}
	m.Mutex.Unlock()
}

// ObserveLock makes f see every span the router's lock is held: f(true)
// right after the lock is taken, f(false) right before it is released,
// in the goroutine that holds it (so f runs with the lock held, and must
// not take it). nil stops observing. For benchmarks and diagnostics:
// the router's own figure of how long one span keeps everyone else
// waiting.
func (s *Router) ObserveLock(f func(held bool)) {
	s.mu.Mutex.Lock()
	s.mu.observe = f
	s.mu.Mutex.Unlock()
}
