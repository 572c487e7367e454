package c2s

import (
	"encoding/xml"
	"net"
	"sync/atomic"
	"time"

	"mellium.im/xmpp/stream"

	"github.com/muctest/muctest/c2sapi"
	"github.com/muctest/muctest/xmlnode"
)

// Feature is a stream feature (RFC 6120 section 4.3.2) that the host adds
// to the features offered after authentication, next to <bind/>: roster
// versioning, legacy session establishment, XEP-0198 stream management.
// The server's modules register them (package module); c2s knows none.
type Feature struct {
	// Offer returns the element to advertise on s, or nil for none.
	Offer func(s *Session) *xmlnode.Element
	// PreAuth offers the feature before authentication instead, next to
	// the SASL mechanisms (XEP-0077's <register/>), where STARTTLS does
	// not withhold it.
	PreAuth bool
}

// Stage says when an ElementHandler may receive its element. It lives in
// package c2sapi, with the modules' element handlers.
type Stage = c2sapi.Stage

// The stages (see c2sapi): after SASL and before bind, bound, and before
// SASL succeeds.
const (
	Authenticated   = c2sapi.Authenticated
	Bound           = c2sapi.Bound
	Unauthenticated = c2sapi.Unauthenticated
)

// ElementHandler handles a top-level element of a client stream that is
// not a stanza. Without one, such an element ends the stream with
// unsupported-stanza-type (bound) or not-authorized (before bind).
type ElementHandler struct {
	Name  xml.Name
	Stage Stage
	// Handle runs in the session's reader goroutine; a non-nil error ends
	// the stream (with its condition when it comes from StreamError).
	Handle func(s *Session, el *xmlnode.Element) error
}

// StreamError returns an error that ends the stream with the stream error
// cond (RFC 6120 section 4.9) and text, for ElementHandlers.
func StreamError(cond stream.Error, text string) error { return serr(cond, text) }

// elementHandler returns the handler of el's name at stage, or nil.
func (c *Config) elementHandler(el *xmlnode.Element, stage Stage) *ElementHandler {
	for i := range c.Elements {
		h := &c.Elements[i]
		if h.Stage == stage && h.Name == el.Name {
			return h
		}
	}
	return nil
}

// WriteNegotiation writes el to the peer at once, for an ElementHandler of
// the Unauthenticated or Authenticated stage, when no outbound queue exists
// yet (a bound session uses Send).
func (s *Session) WriteNegotiation(el *xmlnode.Element) error { return s.write(el) }

// RemoteAddr is the peer's address (for per-address limits).
func (s *Session) RemoteAddr() net.Addr { return s.raw.RemoteAddr() }

// Abort makes every pending read and write of the connection fail now,
// for a shutdown whose time is up: a client that stopped reading no
// longer holds the session's teardown for the write timeout. It sticks:
// a deadline the session sets afterwards (the close timeout of the
// teardown that Server.Close starts at the same time) is in the past too,
// or a shutdown could still wait that timeout out.
func (s *Session) Abort() {
	s.bits.abort()
	_ = s.raw.SetDeadline(time.Now())
}

// stateBits are two flags of a Session read without its lock, in one word
// so that Session keeps to its size class (size_test.go): parked (park.go)
// and aborted (Abort).
type stateBits struct{ v atomic.Uint32 }

const (
	bitParked uint32 = 1 << iota
	bitAborted
)

// park sets parked.
func (b *stateBits) park() { b.v.Or(bitParked) }

// unpark clears parked and reports whether it was set: of two goroutines
// that race to take a parked session back, exactly one wins.
func (b *stateBits) unpark() bool { return b.v.And(^bitParked)&bitParked != 0 }

// parked reports whether the session is parked.
func (b *stateBits) parked() bool { return b.v.Load()&bitParked != 0 }

// abort sets aborted, for good.
func (b *stateBits) abort() { b.v.Or(bitAborted) }

// aborted reports whether Abort was called.
func (b *stateBits) aborted() bool { return b.v.Load()&bitAborted != 0 }

// abortedAt is the deadline of every read and write after Abort.
var abortedAt = time.Unix(1, 0)

// setDeadline, setReadDeadline and setWriteDeadline set the connection's
// deadlines unless the session was aborted. The flag is read after the
// deadline is set, so that an Abort between the two is not undone.
func (s *Session) setDeadline(t time.Time) {
	_ = s.raw.SetDeadline(t)
	if s.bits.aborted() {
		_ = s.raw.SetDeadline(abortedAt)
	}
}

func (s *Session) setReadDeadline(t time.Time) {
	_ = s.raw.SetReadDeadline(t)
	if s.bits.aborted() {
		_ = s.raw.SetReadDeadline(abortedAt)
	}
}

func (s *Session) setWriteDeadline(t time.Time) {
	_ = s.raw.SetWriteDeadline(t)
	if s.bits.aborted() {
		_ = s.raw.SetWriteDeadline(abortedAt)
	}
}
