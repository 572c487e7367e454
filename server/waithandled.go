package server

import "context"

// WaitHandled waits, as WaitIdle does, until no session is busy, but
// without WaitIdle's look into every socket for bytes that no session has
// read yet (an ioctl per connection). It is for a caller that has made sure
// already, with ConnBytes, that every session has read all its client
// wrote, so that there is nothing to find: the in-process scansion runner,
// in a script without components (whose streams ConnBytes does not cover).
func (s *Server) WaitHandled(ctx context.Context) error {
	return s.idle.wait(ctx)
}
