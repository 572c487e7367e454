package server

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"
)

// WaitHandled waits, as WaitIdle does, until no session is busy, but
// without WaitIdle's look into every socket for bytes that no session has
// read yet (an ioctl per connection). It is for a caller that has made sure
// already, with ConnBytes, that every session has read all its client
// wrote, so that there is nothing to find: the in-process scansion runner,
// in a script without components (whose streams ConnBytes does not cover).
func (s *Server) WaitHandled(ctx context.Context) error {
	return s.idle.Wait(ctx)
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
		gen, busy := s.idle.State()
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
			err = s.idle.WaitLeft(ctx, gen)
		}
		if err != nil {
			return fmt.Errorf("server: %d of %d bytes read: %w", got, n, err)
		}
	}
}

// ReadWant names one client session for WaitSettled: the session whose
// remote address is Remote (as ConnBytes finds it) must have read at least
// N bytes from its socket, or have ended. WaitSettled sets Written.
type ReadWant struct {
	Remote string
	N      int64
	// Written is set by WaitSettled when it returns nil: the bytes the
	// session has written to its socket, everything it will write for
	// what it read (the server is idle), or -1 when no such session
	// lives (it ended).
	Written int64
	read    int64 // the session's read count, -1 when none lives
}

// WaitSettled is WaitRead for every session in want followed by
// WaitHandled, in one wait that wakes its caller once per idle period
// rather than at each step: while a wanted session has not read its bytes,
// it sleeps until the server next goes idle after some work (or a session
// ends), looks again, and once every count is there it waits for the
// server to be idle. The in-process scansion runner settles each step with
// it: a session counts itself busy before it counts the bytes it read, so
// idle after the counts means what they cover was handled, and the
// written counts it leaves in want are what each client has to read. Like
// WaitHandled it does not look into sockets: a component's stream, which
// ConnBytes does not cover, needs WaitIdle. It may wait as long as some
// work lasts (a write to a client that does not read): ctx bounds it.
func (s *Server) WaitSettled(ctx context.Context, want []ReadWant) error {
	for {
		// The state before the counts: work that starts after they were
		// taken moves the counter past gen.
		gen, busy := s.idle.State()
		short := s.countWants(want)
		if testHookCounted != nil {
			testHookCounted()
		}
		var err error
		switch {
		case short < 0:
			// Idle before and after the counts, with no work between:
			// what they cover was handled, and the written counts are
			// final (a writer counts busy until it has written).
			g, busyAfter := s.idle.State()
			if !busy && !busyAfter && g == gen {
				return nil
			}
			if busyAfter {
				err = s.idle.Wait(ctx)
			}
			// Then count again.
		case busy:
			err = s.idle.Wait(ctx)
		default:
			err = s.idle.WaitIdleAfter(ctx, gen)
		}
		if err != nil {
			if short < 0 {
				return fmt.Errorf("server: not idle: %w", err)
			}
			return fmt.Errorf("server: session %s read %d of %d bytes: %w", want[short].Remote, want[short].read, want[short].N, err)
		}
	}
}

// testHookCounted, when a test sets it, runs in WaitSettled after each
// pass over the counts.
var testHookCounted func()

// countWants takes every wanted session's byte counts, in one pass over
// the sessions, and returns the index of the first one that lives and has
// read fewer than its bytes, or -1.
func (s *Server) countWants(want []ReadWant) int {
	var buf [8]netip.AddrPort
	keys := buf[:0]
	for i := range want {
		ap, err := netip.ParseAddrPort(want[i].Remote)
		if err == nil {
			ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		}
		keys = append(keys, ap) // the zero AddrPort when not TCP
		want[i].read, want[i].Written = -1, -1
	}
	s.mu.Lock()
	for c := range s.conns {
		ra := c.RemoteAddr()
		var tap netip.AddrPort
		ta, isTCP := ra.(*net.TCPAddr)
		if isTCP {
			tap = ta.AddrPort()
			tap = netip.AddrPortFrom(tap.Addr().Unmap(), tap.Port())
		}
		for i := range want {
			if isTCP && keys[i].IsValid() {
				if tap != keys[i] {
					continue
				}
			} else if ra.String() != want[i].Remote {
				continue
			}
			want[i].read, want[i].Written = c.ConnBytes()
		}
	}
	s.mu.Unlock()
	for i, w := range want {
		if w.read >= 0 && w.read < w.N {
			return i
		}
	}
	return -1
}
