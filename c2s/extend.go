package c2s

import (
	"encoding/xml"
	"net"
	"time"

	"mellium.im/xmpp/stream"

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

// Stage says when an ElementHandler may receive its element.
type Stage uint8

const (
	// Authenticated: after SASL and before a resource is bound (where
	// XEP-0198's <resume/> comes).
	Authenticated Stage = iota + 1
	// Bound: on a bound session, between stanzas (XEP-0198's <enable/>,
	// <r/> and <a/>).
	Bound
	// Unauthenticated: before SASL succeeds (XEP-0077 in-band
	// registration's iqs); never while STARTTLS is required and not done.
	Unauthenticated
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
// longer holds the session's teardown for the write timeout.
func (s *Session) Abort() { _ = s.raw.SetDeadline(time.Now()) }
