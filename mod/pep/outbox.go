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

// routeLaterChunk is how many stanzas one later span routes, or how many
// interested recipients it decides about (laterNotify): a microsecond or
// two each, and one span (and one function left for it) per chunk
// rather than per stanza keeps the lock's handovers few.
const routeLaterChunk = 64

// outbox routes what a handler or hook sends, in order: the first
// routeNowMax stanzas with the lock held, every later one after it
// (module.Context.Later; the stanzas are built already and nobody
// changes them), so that a stanza the handler sends after a long fan-out
// (the iq's result, a legacy bookmarks event) keeps its place after it.
type outbox struct {
	c module.Context
	n int
	// later is true once the outbox routes after the lock; pending is
	// what waits for the spans that route it.
	later   bool
	pending []outItem
}

// outItem is a stanza to route, or a notification left for interested
// recipients (ln), of whom the first next are done.
type outItem struct {
	el   *xmlnode.Element
	ln   *laterNotify
	next int
}

// send routes els through the outbox. A fan-out longer than what is
// left of routeNowMax goes after the lock from its first stanza on, so
// that it is not split between the span and after it.
func (o *outbox) send(els ...*xmlnode.Element) {
	if !o.later && o.n+len(els) > routeNowMax {
		o.goLater()
	}
	for _, el := range els {
		if o.later {
			o.pending = append(o.pending, outItem{el: el})
			continue
		}
		o.n++
		o.c.Route(el)
	}
}

// notifyLater sends ln's notification to its interested recipients,
// after what was sent before and before what is sent after, each of
// them decided after the lock (pubsub.Service.NotifyInterested), so
// that the access checks of a publish to a thousand contacts are not
// made in the request's span.
func (o *outbox) notifyLater(ln *laterNotify) {
	o.goLater()
	o.pending = append(o.pending, outItem{ln: ln})
}

// goLater makes the outbox route after the lock from now on.
func (o *outbox) goLater() {
	if !o.later {
		o.later = true
		o.c.Later(o.routeLater)
	}
}

// routeLater routes the next routeLaterChunk pending stanzas (or
// decides about as many interested recipients) and leaves the rest for
// another span, which the router runs before anything left after this
// one (module.Context.Later), so the order is kept. A panic routing
// one is the router's to recover (logged); the request is not answered
// a second time.
func (o *outbox) routeLater(c module.Context) {
	budget := routeLaterChunk
	for budget > 0 && len(o.pending) > 0 {
		it := &o.pending[0]
		if it.ln == nil {
			o.pending = o.pending[1:]
			budget--
			c.Route(it.el)
			continue
		}
		ln := it.ln
		if ln.gone() {
			o.pending = o.pending[1:]
			continue
		}
		end := min(len(ln.who), it.next+budget)
		budget -= end - it.next
		done := ln.env.useAccount(c, ln.acct, ln.acctJID)
		els := ln.svc.NotifyInterested(ln.node, ln.msg, ln.who[it.next:end])
		done()
		for _, el := range els {
			c.Route(el)
		}
		if it.next = end; it.next == len(ln.who) {
			o.pending = o.pending[1:]
		}
	}
	if len(o.pending) > 0 {
		c.Later(o.routeLater)
	}
}
