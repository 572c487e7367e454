package module

import (
	"github.com/muctest/muctest/c2sapi"
	"mellium.im/xmpp/stream"

	"github.com/muctest/muctest/xmlnode"
)

// Conn is the delivery side of a bound session: its c2s stream
// (c2sapi.Session), a test's recorder, or a module's layer over one of those.
// The router writes every stanza for the session through it, with its lock
// held.
type Conn interface {
	// Send queues st as it is; SendTo queues st with "to" in place of its
	// own "to" attribute (no copy; st is not kept, and may be changed by
	// the caller afterwards).
	Send(st *xmlnode.Element)
	SendTo(st *xmlnode.Element, to string)
	// CloseWithError ends the connection with a stream error.
	CloseWithError(cond stream.Error, text string)
}

// Layer is a Conn that passes what it is given on to another Conn, which
// it may hold back or count: XEP-0352's deferral queue, XEP-0198's unacked
// queue. Layers stack on a session's Conn (Stream.SetConn); Inner and
// SetInner let a module put its layer at the right depth (XEP-0198 counts
// what really goes out, so it sits under XEP-0352's queue).
type Layer interface {
	Conn
	Inner() Conn
	SetInner(c Conn)
}

// Stream is implemented by the router's sessions (every Session a hook or
// handler gets) for modules that manage the stream under a session rather
// than its stanzas: XEP-0198 moves a session to a new connection when the
// client resumes it, XEP-0352 holds back what an inactive client need not
// get at once.
type Stream interface {
	Session
	// Do runs fn with the router's lock held and a Context of its own,
	// from a goroutine that holds no lock (a c2s element handler, a
	// timer), and then hands the stanzas fn routed to components.
	Do(fn func(c Context))
	// Conn returns what the session's deliveries are written to, and
	// SetConn replaces it; both with the lock held (in Do, a hook or a
	// handler).
	Conn() Conn
	SetConn(c Conn)
}

// Unwrapper is a c2sapi.Handler that a module put between a c2s session and
// the router (XEP-0198 counts the stanzas it hands on); Unwrap returns the
// Handler it passes them to.
type Unwrapper interface {
	Unwrap() c2sapi.Handler
}

// StreamOf returns the router's session behind a c2s session's Handler
// (c2sapi.Session.Handler), through the Unwrappers in between, or nil before
// bind. A module's c2s element handler uses it to reach the session.
func StreamOf(h c2sapi.Handler) Stream {
	for h != nil {
		if s, ok := h.(Stream); ok {
			return s
		}
		u, ok := h.(Unwrapper)
		if !ok {
			return nil
		}
		h = u.Unwrap()
	}
	return nil
}
