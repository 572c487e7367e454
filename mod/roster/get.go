package roster

import (
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/xmlnode"
)

// laterRosterItems is the roster size past which a get's result is built
// after the router's lock is released: a roster of 1,000 items
// (quota.DefaultRosterItems) held the lock ~1 ms building and writing out
// its result, and a small one costs less than the deferral.
const laterRosterItems = 64

// getLater answers a roster get from a session (RFC 6121 section 2.1.3)
// with a result built from a copy of the items taken now, with the lock
// held, and built and serialised after it is released
// (module.Request.ReplyLater). The session is interested from now on
// (its pushes are decided against the state it was given), but what it
// would be sent before the result is on its way, a push of a change made
// in between by another resource or a contact's subscription state
// change, is held (sendOrHold) and sent after the result, in a span of
// its own (module.Context.Later, which runs after the reply is routed),
// so that the session sees the roster and then what changed in it, as
// when the result was routed with the lock held.
func getLater(req *module.Request, ro *roster, res *xmlnode.Element) {
	snap := make([]rosterItem, 0, len(ro.order))
	for _, it := range ro.itemList() {
		snap = append(snap, *it) // groups are replaced on change, never edited
	}
	ver := ro.ver()
	ss := req.Session
	sessions.Use(ss).holding = true
	req.ReplyLater(func() *xmlnode.Element {
		rq := res.AddChild(nsRoster, "query", "ver", ver)
		for i := range snap {
			rq.Append(snap[i].element())
		}
		return res
	})
	req.Later(func(module.Context) { releaseHeld(ss) })
}

// maxHeld bounds what is held for one session: a hold whose release
// never came (a panic later in the get's own span drops its Later) lets
// everything go rather than grow.
const maxHeld = 256

// sendOrHold sends st to ss, or holds it while ss's roster result is on
// its way (getLater). st must not change afterwards.
func sendOrHold(ss module.Session, st *xmlnode.Element) {
	if i := sessions.Get(ss); i != nil && i.holding {
		if len(i.held) < maxHeld {
			i.held = append(i.held, st)
			return
		}
		releaseHeld(ss)
	}
	ss.Send(st)
}

// releaseHeld sends ss what was held for it, in order, once its roster
// result was routed.
func releaseHeld(ss module.Session) {
	i := sessions.Get(ss)
	if i == nil {
		return
	}
	held := i.held
	i.holding, i.held = false, nil
	for _, st := range held {
		ss.Send(st)
	}
}
