package c2s

import (
	"github.com/muctest/muctest/netpoll"

	"errors"
	"sync/atomic"
	"syscall"
	"time"
)

// This file lets an idle bound session exist without a goroutine. When the
// reader has consumed everything the client sent, stands between two
// stanzas and has waited Config.ParkAfter in Read for more, it gives back
// its read buffers and its decoder, hands the connection to Config.Poller
// and returns; the Poller calls wake when the client sends again (or hangs
// up), and wake starts a goroutine that carries on reading with a decoder
// rebuilt from the stream header (restoreDecoder). Between two top-level
// elements nothing in the reading state depends on the goroutine that
// ended.
//
// Sessions that cannot park keep their goroutine blocked in Read, as
// before: TLS sessions (crypto/tls may hold decrypted or raw bytes the
// kernel no longer reports), connections without a file descriptor
// (net.Pipe in tests), and every session when Config.Poller is nil.
//
// Something other than the client may also need the reader: the writer,
// after it closes the connection (shutdown, resource conflict, a slow
// client dropped), and the idle timer of Limits.IdleTimeout. Both call
// wake too; exactly one wake wins the parked flag and starts the reader.

// errParked is returned by awaitMarkup to the read loop when the session
// has been handed to the Poller: the loop's goroutine must return at once
// without touching the session, which may already be read by another.
var errParked = errors.New("c2s: parked")

// testHookPark, when set by a test, sees every session about to park.
var testHookPark func(*Session)

// pollIDs numbers sessions for the Poller: an id is never reused, so a late
// event for an ended session cannot wake another.
var pollIDs atomic.Uint64

// canPark reports whether a parkable session with nothing buffered may be
// handed to the Poller now: no read error held back, no bytes waiting in
// the kernel, and the idle deadline (if any) not yet reached, so that the
// read that reports it happens in a goroutine.
func (s *Session) canPark() bool {
	return s.in.err == nil && !s.idleExpired() && netpoll.Unread(s.raw) == 0
}

// parkable reports whether the session may ever park: bound, with a
// Poller, on a connection it can watch, not encrypted.
func (s *Session) parkable() bool {
	return s.pollConn != nil && s.handler != nil && !s.secure
}

// park hands the session to the Poller and reports whether it did. When it
// returns true the caller's goroutine no longer owns the session.
func (s *Session) park() bool {
	s.in.releaseAll()
	if s.header != nil {
		s.dec = nil // restoreDecoder makes a new one
	}
	if s.limits.IdleTimeout > 0 {
		s.idleTimer = time.AfterFunc(time.Until(s.idleAt), s.wakeFn)
	}
	if testHookPark != nil {
		testHookPark(s)
	}
	// Parked counts as blocked in Read: not busy for WaitIdle (bytes that
	// arrive before the wake-up count through Pending).
	s.busy(-1)
	s.bits.park()
	// The idle timer may have fired since it was armed, before the
	// session counted as parked: its wake found nothing to wake and no
	// other is coming. The deadline is then behind us (the timer fires at
	// it), so take the session back, unless a wake has just done so, and
	// let the read that follows report the timeout.
	if s.idleExpired() && s.bits.unpark() {
		s.stopIdleTimer()
		s.busy(1)
		return false
	}
	if err := s.cfg.Poller.Wait(s.pollConn, s.pollID, s.wakeFn); err != nil {
		if !s.bits.unpark() {
			// The writer or the timer woke the session meanwhile: the
			// goroutine it started reads on.
			return true
		}
		// The connection is probably closing; the blocking read that
		// follows reports it in this goroutine.
		s.log.Debug("c2s: cannot park", "err", err)
		s.stopIdleTimer()
		s.busy(1)
		return false
	}
	return true
}

// wake starts a reader goroutine for a parked session; it does nothing
// when the session is not parked (already woken, or reading).
func (s *Session) wake() {
	if !s.bits.unpark() {
		return
	}
	// Before the goroutine starts, so that a Poller event for an older
	// registration cannot remove a newer one.
	s.cfg.Poller.Cancel(s.pollID)
	if d := s.wakeDelay(); d > 0 {
		// Over its read allowance (ratelimit.go): resumed when it is back,
		// counted not busy until then, as parked (Pending covers its input).
		time.AfterFunc(d, s.resumeThrottled)
		return
	}
	s.busy(1)
	go s.resume()
}

// resume is the read loop of a woken session.
func (s *Session) resume() {
	s.stopIdleTimer()
	s.resumed = true
	s.serve()
}

func (s *Session) stopIdleTimer() {
	if s.idleTimer != nil {
		s.idleTimer.Stop()
		s.idleTimer = nil
	}
}

// pollable returns c as the Poller can watch it, or nil.
func pollable(cfg *Config, c any) syscall.Conn {
	if cfg.Poller == nil {
		return nil
	}
	sc, _ := c.(syscall.Conn)
	return sc
}
