package c2s

import (
	"mellium.im/xmpp/jid"

	"github.com/muctest/muctest/xmlnode"
)

// This file is what a module managing the stream itself (XEP-0198 stream
// management) needs from a Session: to write elements that are not
// stanzas and bytes it kept, to put its own Handler between the session
// and the host (to count the stanzas it hands on), and to attach a
// session that the host already knows to a new connection (resumption).

// User returns the authenticated localpart, "" before SASL succeeded.
func (s *Session) User() string { return s.user }

// Handler returns the Handler the session's stanzas go to (nil before
// bind).
func (s *Session) Handler() Handler {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.handler
}

// SetHandler replaces the session's Handler: its stanzas, and the Close
// when it ends, go to h from now on. It must be called from the session's
// own goroutine (an ElementHandler), which is the one that uses the
// Handler.
func (s *Session) SetHandler(h Handler) {
	s.mu.Lock()
	s.handler = h
	s.mu.Unlock()
}

// Adopt makes an authenticated session that is not bound yet carry the
// bound session full, which the host already has (XEP-0198 resumption):
// no resource is bound, stanzas go to h, and the stream is served as a
// bound one once the ElementHandler that calls Adopt returns. Like
// SetHandler, it is called from the session's own goroutine.
func (s *Session) Adopt(full jid.JID, h Handler) {
	s.logJID(full)
	_ = s.endHold() // before the writer can run; a failure shows at the next read
	s.mu.Lock()
	s.jid = full
	s.bound = true
	s.handler = h
	s.mu.Unlock()
}

// SendRaw queues b, serialised XML (an element that is not a stanza, or
// stanzas kept serialised), after what is already queued. It reports
// false when the session is not bound or is closing, and b was dropped.
// Like Send it never blocks, and counts towards the queue's limits.
func (s *Session) SendRaw(b []byte) bool { return s.enqueue(b, false) }

// SendElement queues el (SendRaw) on a bound session, or writes it at
// once during negotiation, where nothing is queued (XEP-0198's <failed/>
// answer to a <resume/>).
func (s *Session) SendElement(el *xmlnode.Element) error {
	s.mu.Lock()
	bound := s.bound
	s.mu.Unlock()
	if !bound {
		return s.write(el)
	}
	s.SendRaw(el.AppendTo(nil, NSClient))
	return nil
}
