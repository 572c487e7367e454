package pep

import (
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/xmlnode"
)

// routeNowMax is how many stanzas a handler's outbox routes with the
// router's lock held; from the one after, they are routed after the
// lock is released, routeLaterChunk per span of their own (issue 11: a
// publish notifies up to MaxRecipients contacts, and routing a thousand
// notifications held the lock ~3 ms on top of building them).
const routeNowMax = 16

// routeLaterChunk is how many stanzas one later span routes: a
// notification costs a microsecond or two to route, and one span (and
// one function left for it) per chunk rather than per stanza keeps the
// lock's handovers few.
const routeLaterChunk = 64

// outbox routes what a handler or hook sends, in order: the first
// routeNowMax stanzas with the lock held, every later one after it
// (module.Context.Later; the stanzas are built already and nobody
// changes them), so that a stanza the handler sends after a long fan-out
// (the iq's result, a legacy bookmarks event) keeps its place after it.
type outbox struct {
	c module.Context
	n int
	// later is true once the outbox routes after the lock; pending are
	// the stanzas waiting for the spans that route them.
	later   bool
	pending []*xmlnode.Element
}

// send routes els through the outbox. A fan-out longer than what is
// left of routeNowMax goes after the lock from its first stanza on, so
// that it is not split between the span and after it.
func (o *outbox) send(els ...*xmlnode.Element) {
	if !o.later && o.n+len(els) > routeNowMax {
		o.later = true
		o.c.Later(o.routeLater)
	}
	if o.later {
		o.pending = append(o.pending, els...)
		return
	}
	for _, el := range els {
		o.n++
		o.c.Route(el)
	}
}

// routeLater routes the next routeLaterChunk pending stanzas and leaves
// the rest for another span, which the router runs before anything left
// after this one (module.Context.Later), so the order is kept. A panic
// routing one is the router's to recover (logged); the request is not
// answered a second time.
func (o *outbox) routeLater(c module.Context) {
	n := min(routeLaterChunk, len(o.pending))
	batch := o.pending[:n]
	o.pending = o.pending[n:]
	for _, el := range batch {
		c.Route(el)
	}
	if len(o.pending) > 0 {
		c.Later(o.routeLater)
	}
}
