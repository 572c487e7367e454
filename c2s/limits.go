package c2s

import (
	"errors"
	"net"
	"os"
	"sync"
	"time"

	"mellium.im/xmpp/stream"
)

// This file holds the checks that keep one hostile or broken peer from
// costing the server more than one connection's worth of resources: text
// outside any element, idle and slow peers, and too many authentication
// attempts. The byte, depth and attribute limits live with the reader.

// DefaultWriteTimeout bounds one write to a client that has stopped
// reading while its kernel buffers are full: the session is then dropped
// (its queue is already bounded by MaxQueue, but a queue that never fills
// would otherwise hold the writer forever).
const DefaultWriteTimeout = 60 * time.Second

// awaitMarkup consumes whitespace at the top level of the stream, where
// only elements may follow, and fails at once on any other byte. Without
// it the XML decoder would wait for a '<' to end the character data, so a
// peer sending plain text (an HTTP request, a line protocol) would hold the
// reader until the size limit. Whitespace keepalives (RFC 6120 section
// 4.6.1) also restart the idle timer here.
//
// It relies on the decoder reading from s.in byte by byte (countingReader
// is an io.ByteReader, so encoding/xml does no buffering of its own) and
// never reading past the '>' that ends a top-level element.
//
// It is also where an idle bound session parks (park.go): it returns
// errParked when it did.
func (s *Session) awaitMarkup() error {
	// A session woken from parking keeps the deadline set before, and
	// reads before it may park again: what woke it may be an end of file
	// or error that the kernel reports as readable but not as bytes.
	mayPark := !s.resumed
	if s.resumed {
		s.resumed = false
	} else {
		s.armIdle()
	}
	parkDue := false // a ParkAfter wait passed with nothing read
	for {
		grace := false // the read deadline below is armGrace's
		if mayPark && s.in.buffered() == 0 && s.parkable() {
			// Between stanzas with nothing buffered: wait ParkAfter in
			// Read, then park if nothing came.
			if parkDue {
				parkDue = false
				if s.canPark() && s.park() {
					return errParked
				}
			} else {
				s.armGrace()
				grace = true
			}
		}
		mayPark = true
		b, err := s.in.peek()
		if grace {
			if errors.Is(err, os.ErrDeadlineExceeded) && !s.idleExpired() {
				s.restoreDeadline()
				parkDue = true
				continue
			}
			if err == nil {
				s.restoreDeadline()
			}
		}
		if err != nil {
			return s.classifyTimeout(err)
		}
		switch b {
		case '<':
			s.armStanza()
			return nil
		case ' ', '\t', '\r', '\n':
			if _, err := s.in.ReadByte(); err != nil {
				return s.classifyTimeout(err)
			}
			if s.in.buffered() == 0 {
				s.armIdle()
			}
		default:
			return serr(stream.NotWellFormed, "text outside a stanza")
		}
	}
}

// armGrace shortens the read deadline to Config.ParkAfter from now (or the
// idle deadline, if sooner), so that a session that receives nothing for
// that long gets out of Read and parks.
func (s *Session) armGrace() {
	d := s.cfg.ParkAfter
	if d <= 0 {
		d = DefaultParkAfter
	}
	at := time.Now().Add(d)
	if s.limits.IdleTimeout > 0 && s.idleAt.Before(at) {
		at = s.idleAt
	}
	s.setReadDeadline(at)
}

// restoreDeadline puts back the read deadline armGrace replaced.
func (s *Session) restoreDeadline() {
	var at time.Time // none
	if s.limits.IdleTimeout > 0 {
		at = s.idleAt
	}
	s.setReadDeadline(at)
}

// idleExpired reports whether Limits.IdleTimeout has run out.
func (s *Session) idleExpired() bool {
	return s.limits.IdleTimeout > 0 && !time.Now().Before(s.idleAt)
}

// armIdle restarts the read deadline of a bound session when
// Limits.IdleTimeout is set, and otherwise lifts the deadline armStanza put
// on the stanza before. Before bind the negotiation deadline applies.
func (s *Session) armIdle() {
	if s.handler == nil {
		return
	}
	switch {
	case s.limits.IdleTimeout > 0:
		s.idleAt = time.Now().Add(s.limits.IdleTimeout)
		s.setReadDeadline(s.idleAt)
	case s.stanzaArmed:
		s.setReadDeadline(time.Time{})
	}
	s.stanzaArmed = false
}

// armStanza bounds the time the stanza whose first byte has arrived may
// take to arrive whole: Limits.StanzaTimeout from now, or the idle
// deadline if sooner. Without it a client could hold a half-sent stanza,
// and the buffers and decoder state behind it, for ever (slowloris).
func (s *Session) armStanza() {
	if s.handler == nil || s.limits.StanzaTimeout <= 0 {
		return
	}
	at := time.Now().Add(s.limits.StanzaTimeout)
	if s.limits.IdleTimeout > 0 && s.idleAt.Before(at) {
		at = s.idleAt
	}
	s.setReadDeadline(at)
	s.stanzaArmed = true
}

// classifyTimeout is classify, except that a read deadline that expired on
// a bound session is the idle or stanza timeout: a connection-timeout
// stream error (RFC 6120 section 4.9.3.4) rather than a silent close.
func (s *Session) classifyTimeout(err error) error {
	var ne net.Error
	if s.handler != nil && errors.As(err, &ne) && ne.Timeout() {
		switch {
		case s.stanzaArmed:
			return &streamErr{cond: stream.ConnectionTimeout, text: "stanza took too long to arrive", err: err}
		case s.limits.IdleTimeout > 0:
			return &streamErr{cond: stream.ConnectionTimeout, text: "idle for too long", err: err}
		}
	}
	return classify(err)
}

// armWrite sets the deadline of the next write to a bound client: the
// write timeout, or once the session is closing the shorter of it and the
// close timeout; after an overflow, a step of overflowStep.
func (s *Session) armWrite(closing, overflowed bool) {
	switch {
	case overflowed:
		s.mu.Lock()
		s.armOverflowWriteLocked()
		s.mu.Unlock()
	case closing:
		s.boundWrites()
	default:
		s.setWriteDeadline(time.Now().Add(s.limits.WriteTimeout))
	}
}

// failureLog spaces the log lines of failed authentications, which a
// password-guessing peer could otherwise turn into a log flood (one line
// per guess). It is shared by every session of the process.
var failureLog = logLimiter{per: time.Second, burst: 10}

// logLimiter lets burst log lines through per period and counts the rest,
// so that the next line let through can say how many were dropped.
type logLimiter struct {
	per   time.Duration
	burst int

	mu         sync.Mutex
	start      time.Time
	n          int
	suppressed int
}

// allow reports whether a line may be logged now and, if so, how many were
// suppressed since the last one.
func (l *logLimiter) allow() (ok bool, suppressed int) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.start) >= l.per {
		l.start, l.n = now, 0
	}
	if l.n >= l.burst {
		l.suppressed++
		return false, 0
	}
	l.n++
	suppressed, l.suppressed = l.suppressed, 0
	return true, suppressed
}

// checkAuthRate asks the host whether this peer may try to authenticate
// again. A peer over its rate gets a policy-violation stream error: a SASL
// failure would let it keep guessing on the same stream.
func (s *Session) checkAuthRate() error {
	if s.cfg.AllowAuth != nil && !s.cfg.AllowAuth(s.raw.RemoteAddr()) {
		return serr(stream.PolicyViolation, "too many authentication attempts")
	}
	return nil
}
