package pep

// What a presence broadcast makes the contacts' services do, after the
// broadcast's span (issue 11): a first presence with new caps from an
// account with a thousand contacts makes each of their services ask the
// sender what the caps stand for, as Prosody's mod_pep does. With the
// router's lock held in the broadcast's span only the contacts' accounts
// are noted; whether each service asks is decided askChunk at a time,
// each chunk in a span of its own (module.Context.Later), and the queries
// are built and routed after that (module.Context.SendIQLater), one short
// span each. The wire is the same: the queries reach the sender after its
// own presence, in the order of its contacts.

import (
	"github.com/muctest/muctest/caps"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/xmlnode"
)

// askChunk bounds the held presences one span decides (askLater): a few
// microseconds each, so that a span stays well under a millisecond
// however many contacts a broadcast reached.
const askChunk = 32

// deferredQuery is a caps query a broadcast held: acct's service asks
// "to" about caps.
type deferredQuery struct {
	acct, to string
	caps     caps.Caps
}

// heldBroadcast is a broadcast presence in progress, from the pre-hook
// to the after-hook: the router delivers it to a thousand contacts in
// spans of their own (router/broadcast.go), and other stanzas are routed
// between them, so what the broadcast holds is its own, found by its
// sender in state.active. from is the sender's full JID; caps queries
// its deliveries make wait in queries until the sender has been sent its
// own presence back, the order Prosody gives. When its caps' ver was
// unknown as it started (unknown), every contact's service may ask about
// them: the contacts' accounts it reaches wait in accts, with nothing
// looked up in the broadcast's spans.
type heldBroadcast struct {
	from    string
	caps    caps.Caps
	unknown bool
	accts   []module.Account
	queries []deferredQuery
	// c is the presence's <c/>, which every contact's copy of it shares
	// (a shallow copy): what tells the broadcast's deliveries from any
	// other presence from the same full JID (its stored copy, which
	// answers probes).
	c *xmlnode.Element
}

// of reports whether p, a presence delivered to a contact, is b's.
func (b *heldBroadcast) of(p *xmlnode.Element, from string) bool {
	return from == b.from && p.Attrib("type") == "" && p.Child(caps.NS, "c") == b.c
}

// heldWork is what a broadcast left for later: its contacts' accounts, then
// the other queries it held, decided askChunk at a time.
type heldWork struct {
	bcast   *heldBroadcast // nil when there are no accounts left
	queries []deferredQuery
}

// holdBroadcast starts the broadcast of presence p from "from": its
// contacts' services' presence hooks find it in st.active. A broadcast
// of the same full JID that a hook stopped before its after-hook ends
// first.
func (st *state) holdBroadcast(c module.Context, from string, p *xmlnode.Element) *heldBroadcast {
	if old := st.active[from]; old != nil {
		st.flush(c, from)
	}
	b := &heldBroadcast{from: from, c: p.Child(caps.NS, "c")}
	if p.Attrib("type") == "" {
		if cp, ok := caps.FromPresence(p); ok && !st.core.known(cp.Key()) {
			b.caps, b.unknown = cp, true
		}
	}
	st.active[from] = b
	return b
}

// flush ends the broadcast from "from": what it held is decided after
// its span.
func (st *state) flush(c module.Context, from string) {
	b := st.active[from]
	if b == nil {
		return
	}
	delete(st.active, from)
	h := heldWork{bcast: b, queries: b.queries}
	if !b.unknown || len(b.accts) == 0 {
		h.bcast = nil
	}
	if h.bcast == nil && len(h.queries) == 0 {
		return
	}
	c.Later(func(c module.Context) { st.askLater(c, h) })
}

// askLater decides the first askChunk presences h held, with the state
// as it is now, and leaves the rest for another span.
func (st *state) askLater(c module.Context, h heldWork) {
	n := askChunk
	if b := h.bcast; b != nil {
		k := min(n, len(b.accts))
		for _, a := range b.accts[:k] {
			st.askHeld(c, a, b.from, b.caps)
		}
		n -= k
		if b.accts = b.accts[k:]; len(b.accts) == 0 {
			h.bcast = nil
		}
	}
	k := min(n, len(h.queries))
	if k > 0 {
		defer st.env.use(c)()
	}
	for _, d := range h.queries[:k] {
		st.decide(c, d.acct, d.to, st.core.held(d.acct, d.to, d.caps, st.mayAsk))
	}
	h.queries = h.queries[k:]
	if h.bcast != nil || len(h.queries) > 0 {
		c.Later(func(c module.Context) { st.askLater(c, h) })
	}
}

// askHeld decides for the service of a (a contact a broadcast reached,
// if it is still an account) about the presence with caps cp from "from".
func (st *state) askHeld(c module.Context, a module.Account, from string, cp caps.Caps) {
	if c.Account(a.Name()) != a {
		return // removed since
	}
	acct := acctJID(a)
	defer st.env.useAccount(c, a, acct)()
	st.decide(c, acct, from, st.core.held(acct, from, cp, st.mayAsk))
}

// decide routes what a held presence came to: the last items of nodes
// now known to be wanted, or the query, built and routed later.
func (st *state) decide(c module.Context, acct, from string, out outcome) {
	for _, it := range out.items {
		c.Route(it)
	}
	if out.asking {
		st.query(c, acct, from, out.ask, true)
	}
}

// handle routes what a presence from "from" made acct's service send: a
// caps query now, or, held during broadcast b (Core.presence's hold),
// decided once the sender has its own presence back.
func (st *state) handle(c module.Context, acct, from string, out outcome, b *heldBroadcast) {
	for _, it := range out.items {
		c.Route(it)
	}
	switch {
	case out.held && b != nil:
		b.queries = append(b.queries, deferredQuery{acct: acct, to: from, caps: out.ask})
	case out.asking:
		st.query(c, acct, from, out.ask, false)
	}
}

// mayAsk reports whether a caps query from acct to "to" would go out now
// (query's bound on the unanswered ones).
func (st *state) mayAsk(acct, to string) bool {
	return st.inflight[[2]string{acct, to}] < MaxQueriesInFlight
}

// query sends acct's caps disco#info query about cp to "to" and feeds
// the answer to the core; later, the query is built and routed after the
// router's lock is released (SendIQLater), what is decided with it held
// being only that it goes and the wait for its answer.
func (st *state) query(c module.Context, acct, to string, cp caps.Caps, later bool) {
	key := [2]string{acct, to}
	if !st.mayAsk(key[0], key[1]) {
		return
	}
	st.inflight[key]++
	done := func(c module.Context, reply *xmlnode.Element, err error) {
		if st.inflight[key]--; st.inflight[key] <= 0 {
			delete(st.inflight, key)
		}
		if err != nil || reply.Attrib("type") != "result" {
			return
		}
		defer st.env.use(c)()
		ans, ok := st.core.learn(acct, reply.Attrib("from"), reply.Child(caps.NSDiscoInfo, "query"))
		switch {
		case !ok:
		case ans.own:
			c.Later(func(c module.Context) { st.shareLater(c, ans, nil, true) })
		default:
			ob := &outbox{c: c}
			ob.send(st.core.answered(ans)...)
		}
	}
	if later {
		c.SendIQLater(queryID, to, acct, func() *xmlnode.Element { return cp.Query(acct, to, queryID) }, CapsTimeout, done)
		return
	}
	c.SendIQ(cp.Query(acct, to, queryID), CapsTimeout, done)
}

// shareLater spreads an own caps answer (Core.DiscoResult) over spans:
// askChunk of the account's local contacts' services learn what its bare
// JID wants and send their last items per span (the first span finds the
// contacts), and the account's own service goes last, the order
// DiscoResult gives (issue 11: an account with a thousand contacts held
// the lock ~9 ms for its answer).
func (st *state) shareLater(c module.Context, ans answer, contacts []string, first bool) {
	defer st.env.use(c)()
	if first {
		contacts = st.env.LocalSubscribers(ans.acct)
	}
	ob := &outbox{c: c}
	n := min(askChunk, len(contacts))
	for _, contact := range contacts[:n] {
		ob.send(st.core.share(contact, ans)...)
	}
	if rest := contacts[n:]; len(rest) > 0 {
		c.Later(func(c module.Context) { st.shareLater(c, ans, rest, false) })
		return
	}
	ob.send(st.core.answered(ans)...)
}
