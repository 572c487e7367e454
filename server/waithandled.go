package server

import (
	"context"
	"fmt"
	"time"
)

// WaitHandled waits, as WaitIdle does, until no session is busy, but
// without WaitIdle's look into every socket for bytes that no session has
// read yet (an ioctl per connection). It is for a caller that has made sure
// already, with ConnBytes, that every session has read all its client
// wrote, so that there is nothing to find: the in-process scansion runner,
// in a script without components (whose streams ConnBytes does not cover).
func (s *Server) WaitHandled(ctx context.Context) error {
	return s.idle.wait(ctx)
}

// WaitRead waits until the client session whose remote address is remote
// (as ConnBytes finds it) has read at least n bytes from its socket, or
// has ended, or ctx ends. It is for the in-process scansion runner, which
// writes a client's stanzas and then waits for the server to have them
// before WaitHandled. While the server is idle it sleeps until a session
// next counts itself busy (which a session does when a read returns,
// before it counts the bytes) instead of looking again and again; while
// other work is in flight, which may last (a write to a client that does
// not read), it looks again after a pause that grows to a millisecond.
func (s *Server) WaitRead(ctx context.Context, remote string, n int64) error {
	backoff := 5 * time.Microsecond
	for {
		// The state before the count: a read that returns after the
		// count was taken makes the server busy after this generation.
		gen, busy := s.idle.state()
		got, _, ok := s.ConnBytes(remote)
		if !ok || got >= n {
			return nil
		}
		var err error
		if busy {
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				err = ctx.Err()
			}
			backoff = min(2*backoff, time.Millisecond)
		} else {
			err = s.idle.waitLeft(ctx, gen)
		}
		if err != nil {
			return fmt.Errorf("server: %d of %d bytes read: %w", got, n, err)
		}
	}
}

// ReadWant names one client session for WaitSettled: the session whose
// remote address is Remote (as ConnBytes finds it) must have read at least
// N bytes from its socket, or have ended.
type ReadWant struct {
	Remote string
	N      int64
}

// WaitSettled is WaitRead for every session in want followed by
// WaitHandled, in one wait that wakes its caller once per idle period
// rather than at each step: while a wanted session has not read its bytes,
// it sleeps until the server next goes idle after some work (or a session
// ends), looks again, and once every count is there it waits for the
// server to be idle. The in-process scansion runner settles each step with
// it: a session counts itself busy before it counts the bytes it read, so
// idle after the counts means what they cover was handled. Like
// WaitHandled it does not look into sockets: a component's stream, which
// ConnBytes does not cover, needs WaitIdle. It may wait as long as some
// work lasts (a write to a client that does not read): ctx bounds it.
func (s *Server) WaitSettled(ctx context.Context, want []ReadWant) error {
	for {
		// The state before the counts: work that starts after they were
		// taken moves the counter past gen.
		gen, busy := s.idle.state()
		short := s.shortRead(want)
		if short < 0 {
			// Idle after the counts: what they cover was handled.
			if _, busy := s.idle.state(); !busy {
				return nil
			}
			return s.idle.wait(ctx)
		}
		var err error
		if busy {
			err = s.idle.wait(ctx)
		} else {
			err = s.idle.waitIdleAfter(ctx, gen)
		}
		if err != nil {
			got, _, _ := s.ConnBytes(want[short].Remote)
			return fmt.Errorf("server: session %s read %d of %d bytes: %w", want[short].Remote, got, want[short].N, err)
		}
	}
}

// shortRead returns the index of the first session in want that lives and
// has read fewer than its bytes, or -1.
func (s *Server) shortRead(want []ReadWant) int {
	for i, w := range want {
		if got, _, ok := s.ConnBytes(w.Remote); ok && got < w.N {
			return i
		}
	}
	return -1
}

// settleLocked wakes waitIdleAfter's waiters: n is zero after some work,
// or poke ran while it was.
func (t *idleTracker) settleLocked() {
	if t.settled != nil {
		close(t.settled)
		t.settled = nil
	}
}

// waitIdleAfter waits until the work counter has moved past gen and no
// work is in flight (the server went idle after some work started, or
// poke ran while idle), or ctx ends. gen is a state the caller saw idle.
func (t *idleTracker) waitIdleAfter(ctx context.Context, gen uint64) error {
	t.mu.Lock()
	if t.gen != gen && t.n == 0 {
		t.mu.Unlock()
		return nil
	}
	if t.settled == nil {
		t.settled = make(chan struct{})
	}
	ch := t.settled
	t.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
