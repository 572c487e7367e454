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
