package pep

import (
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/xmlnode"
)

// routeNowMax is how many stanzas a handler's outbox routes with the
// router's lock held; from the one after, each is routed after the lock
// is released, in a span of its own (issue 11: a publish notifies up to
// MaxRecipients contacts, and routing a thousand notifications held the
// lock ~3 ms on top of building them).
const routeNowMax = 16

// outbox routes what a handler or hook sends, in order: the first
// routeNowMax stanzas with the lock held, every later one after it
// (module.Context.RouteLater; the stanzas are built already and nobody
// changes them), so that a stanza the handler sends after a long fan-out
// (the iq's result, a legacy bookmarks event) keeps its place after it.
type outbox struct {
	c     module.Context
	n     int
	later bool
}

// send routes els through the outbox. A fan-out longer than what is
// left of routeNowMax goes after the lock from its first stanza on, so
// that it is not split between the span and after it.
func (o *outbox) send(els ...*xmlnode.Element) {
	if !o.later && o.n+len(els) > routeNowMax {
		o.later = true
	}
	for _, el := range els {
		if !o.later {
			o.n++
			o.c.Route(el)
			continue
		}
		// No cause: a stanza the handler built cannot fail to build,
		// and a panic routing one notification must not answer the
		// request a second time.
		o.c.RouteLater(nil, func() *xmlnode.Element { return el })
	}
}
