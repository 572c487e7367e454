package c2sapi

import (
	"encoding/xml"

	"mellium.im/xmpp/stream"

	"github.com/muctest/muctest/xmlnode"
)

// Feature is a stream feature (RFC 6120 section 4.3.2) that the host adds
// to the features offered after authentication, next to <bind/>: roster
// versioning, legacy session establishment, XEP-0198 stream management.
// The server's modules register them (package module), and package server
// hands them to c2s as c2s.Features; c2s knows none.
type Feature struct {
	// Offer returns the element to advertise on s, or nil for none.
	Offer func(s Session) *xmlnode.Element
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
	// the stream (with its condition when it is, or wraps, a *StreamErr:
	// see StreamError).
	Handle func(s Session, el *xmlnode.Element) error
}

// StreamErr is the error an ElementHandler returns to end the stream with
// the stream error Cond (RFC 6120 section 4.9) and Text; the server turns
// it into c2s's own (c2s.StreamError), which c2s writes to the peer.
type StreamErr struct {
	Cond stream.Error
	Text string
}

func (e *StreamErr) Error() string { return "c2s: stream error " + e.Cond.Err + ": " + e.Text }

// StreamError returns a *StreamErr for cond and text.
func StreamError(cond stream.Error, text string) error { return &StreamErr{Cond: cond, Text: text} }
