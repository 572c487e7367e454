package sm

import (
	"time"

	"mellium.im/xmpp/stanza"
	"mellium.im/xmpp/stream"

	"github.com/muctest/muctest/c2sapi"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/xmlnode"
)

// item is one stanza sent and not yet acknowledged, as it went out.
type item struct {
	b       []byte
	at      time.Time
	delayed bool // b carries the XEP-0203 delay of a resent stanza
}

// queue is the session's Conn under XEP-0198: every stanza is serialised
// once, kept until the client acknowledges it, and written to the
// connection serving the session, if any. Guarded by the router's lock
// (the router writes to a session's Conn with it held).
type queue struct {
	st    *state
	inner c2sapi.Session // nil while the session hibernates

	items []item // unacknowledged, oldest first
	bytes int    // their serialised size
	acked uint32 // the client's last h
	sent  uint32 // stanzas counted (the h of the newest)

	requested  bool // an <r/> is outstanding
	overflowed bool // over a bound: the stream is being closed
	drained    bool // the session ended: nothing is kept any more
}

var _ module.Conn = (*queue)(nil)

const requestXML = `<r xmlns='` + NS + `'/>`

// Send and SendTo serialise st once into a buffer sized for a usual
// stanza (one allocation rather than one per doubling: BenchmarkQueue).
func (q *queue) Send(st *xmlnode.Element) { q.push(st.AppendTo(make([]byte, 0, 256), stanza.NSClient)) }

func (q *queue) SendTo(st *xmlnode.Element, to string) {
	q.push(st.AppendToAttr(make([]byte, 0, 256), stanza.NSClient, "to", to))
}

func (q *queue) CloseWithError(cond stream.Error, text string) {
	if q.inner != nil {
		q.inner.CloseWithError(cond, text)
	}
}

func (q *queue) push(b []byte) {
	m := &q.st.srv.m
	if q.overflowed {
		// The session is ending: what comes meanwhile is kept to be
		// handed on with the rest, up to twice the bounds, and not sent.
		if !q.drained && len(q.items) < 2*m.MaxUnacked && q.bytes+len(b) <= 2*m.MaxUnackedBytes {
			q.items = append(q.items, item{b: b, at: m.Now()})
			q.bytes += len(b)
			q.sent++
			if q.inner == nil && q.st.cur == nil {
				q.st.srv.hbytes += len(b)
			}
		}
		return
	}
	q.items = append(q.items, item{b: b, at: m.Now()})
	q.bytes += len(b)
	q.sent++
	if q.inner == nil && q.st.cur == nil {
		q.st.srv.hbytes += len(b) // hibernating: counts for the server's bound
	}
	if len(q.items) > m.MaxUnacked || q.bytes > m.MaxUnackedBytes ||
		(q.inner == nil && q.st.srv.hbytes > m.MaxHibernatingBytes) {
		// Kept, so that it is handed on with the rest when the session
		// ends; the session ends now (Prosody: "too many unacked").
		q.overflowed = true
		if q.inner != nil {
			q.inner.CloseWithError(stream.ResourceConstraint, "too many unacked stanzas")
			return
		}
		st := q.st
		// Hibernating: nothing to close but the session, which needs the
		// lock this delivery holds.
		go st.ss.Do(func(c module.Context) {
			if !st.dead {
				c.Unbind(st.ss, "too many unacked stanzas")
			}
		})
		return
	}
	if q.inner == nil {
		return
	}
	q.inner.SendRaw(b)
	if !q.requested && len(q.items) >= m.RequestEvery {
		q.requested = true
		q.inner.SendRaw([]byte(requestXML))
	}
}

// ack takes the client's h: the stanzas up to it are dropped. It reports
// false when h counts more than was sent (XEP-0198 section 4: the stream
// then fails).
func (q *queue) ack(h uint32) bool {
	if !q.canAck(h) {
		return false
	}
	n := h - q.acked
	for i := range q.items[:n] {
		q.bytes -= len(q.items[i].b)
	}
	clear(q.items[:n])
	q.items = q.items[n:]
	if len(q.items) == 0 {
		q.items = nil
	}
	q.acked = h
	q.requested = false
	return true
}

// canAck reports whether h is a valid ack: no more than was sent.
func (q *queue) canAck(h uint32) bool {
	n := h - q.acked // modulo 2^32, as XEP-0198 counts
	return int64(n) <= int64(len(q.items))
}

// attach makes cs the connection serving the session (nil: hibernating).
// A new connection is sent every unacknowledged stanza again, in order,
// and asked for an ack.
func (q *queue) attach(cs c2sapi.Session) {
	q.inner = cs
	q.requested = false
	if cs == nil || len(q.items) == 0 {
		return
	}
	for i := range q.items {
		it := &q.items[i]
		if !it.delayed {
			// Once: a stanza resent twice keeps its first stamp.
			n := len(it.b)
			it.b, it.delayed = q.st.srv.delayed(q.st, it.b, it.at), true
			q.bytes += len(it.b) - n
		}
		cs.SendRaw(it.b)
	}
	q.requested = true
	cs.SendRaw([]byte(requestXML))
}

// drain returns and forgets the unacknowledged stanzas.
func (q *queue) drain() []item {
	items := q.items
	q.items, q.bytes = nil, 0
	q.inner = nil
	q.overflowed, q.drained = true, true
	return items
}

// Size implements module.Sizer for the session's state.
func (r *ref) Size() int {
	if r.st == nil || r.st.out == nil {
		return 0
	}
	return r.st.out.bytes + 48*len(r.st.out.items)
}
