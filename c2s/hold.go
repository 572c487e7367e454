package c2s

import (
	"slices"
	"sync"
)

// During negotiation the session's writes wait in held until it is about
// to block reading (trackedConn.Read) or the stream is bound: a client that
// pipelines its login (RFC 6120 allows sending the SASL <auth/> and, after
// success, the restarted stream's header and the bind request without
// waiting) then gets our header, features, <success/>, second header and
// features in one write instead of four, and a client that waits for each
// answer gets every answer before we wait for it, as before. Only the
// session's own goroutine writes until bind (the writer starts once bound),
// so held needs no lock. The hold lasts through the bind itself: the bind
// result (and whatever else is queued meanwhile) goes out behind what was
// held, in the same write (releaseHeldLocked). From bind on, holding only
// changes under s.mu, which startWriterLocked reads it under.

// holdWrites starts holding negotiation writes.
func (s *Session) holdWrites() { s.holding = true }

// flushHeld writes what was held and stops holding: called before a read
// that may block, and for good before the stream is bound (the writer
// goroutine then writes, straight to the socket) or the negotiation fails.
func (s *Session) flushHeld() error {
	if len(s.held) == 0 {
		return nil
	}
	b := s.held
	s.held = nil
	n, err := s.raw.Write(b)
	s.wbytes.Add(int64(n))
	putHeld(b)
	return err
}

// heldPool keeps the buffers negotiation writes wait in: a login's answers
// are a KiB or two, held for a moment, then written or queued.
var heldPool = sync.Pool{New: func() any { b := make([]byte, 0, heldSize); return &b }}

// heldSize is a held buffer's capacity, a pipelined login's answers; one
// that grew past maxHeldPooled is left to the collector.
const (
	heldSize      = 2 << 10
	maxHeldPooled = 16 << 10
)

// heldBuf returns held, taking a pooled buffer when there is none yet.
func (s *Session) heldBuf() []byte {
	if s.held == nil {
		s.held = (*heldPool.Get().(*[]byte))[:0]
	}
	return s.held
}

// putHeld gives a held buffer back once its bytes are written or copied.
func putHeld(b []byte) {
	if cap(b) == 0 || cap(b) > maxHeldPooled {
		return
	}
	b = b[:0]
	heldPool.Put(&b)
}

// endHold flushes and stops holding for good. It may run again once the
// stream is bound (Run ends the hold whatever way negotiation ended), when
// the writer goroutine reads holding in trackedConn.Write: holding is then
// false already and is only read here, never written again.
func (s *Session) endHold() error {
	if s.holding {
		s.holding = false
	}
	return s.flushHeld()
}

// releaseHeldLocked ends the hold once the stream is bound: the held bytes
// go in front of the queue (what the bind queued, the result first) and
// the writer starts for them, so that a pipelined login's whole answer is
// one write. s.mu is held.
func (s *Session) releaseHeldLocked() {
	// Under TLS the hold ended before the bind (endHold) and the writer
	// may already run, reading holding in trackedConn.Write without s.mu:
	// it is written only while still set, when no writer can run yet.
	if s.holding {
		s.holding = false
	}
	held := s.held
	s.held = nil
	if len(held) > 0 {
		if s.out == nil {
			s.out = getOutBuf()
		}
		first := s.out.chunks[0]
		first.b = slices.Insert(first.b, 0, held...)
		putHeld(held)
		s.queued++
		s.qbytes += len(held)
		if !s.settleQueueLocked() {
			s.overflowLocked()
			return
		}
	}
	if s.qbytes > 0 || s.closing {
		s.startWriterLocked()
	}
}
