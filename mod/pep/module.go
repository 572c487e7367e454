package pep

// The module: Core wired to the router's registry (presence hooks, the
// caps queries through SendIQ, the pubsub iq handlers, account disco).

import (
	"encoding/xml"
	"slices"
	"sync"
	"time"

	"mellium.im/xmpp/jid"

	rostermod "github.com/muctest/muctest/mod/roster"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/pubsub"
	"github.com/muctest/muctest/xmlnode"
)

// CapsTimeout is how long a caps query may go unanswered before the
// server stops waiting (the client then gets no filtered notifications
// until its next presence).
const CapsTimeout = time.Minute

// MaxQueriesInFlight bounds the unanswered caps queries from one account
// to one client: a client that changes its ver in every presence and
// never answers costs the server at most this many timers.
const MaxQueriesInFlight = 4

// DefaultQuotas bound an account's PEP service when Module.Quotas is
// zero: room for every XEP a client uses (avatars, bookmarks, OMEMO
// bundles, vCard4) many times over, not for using the server as a disk.
var DefaultQuotas = pubsub.Quotas{
	MaxNodes:         256,
	MaxItemBytes:     256 << 10, // a stanza's limit
	MaxNodeBytes:     1 << 20,
	MaxServiceBytes:  4 << 20,
	MaxSubscriptions: 64,
}

// DefaultPoolBytes bounds the items of every account's PEP service
// together (pubsub.Pool) when Module.PoolBytes is zero: thousands of real
// accounts' avatars and bundles, not an attacker's thousand accounts at
// MaxServiceBytes each.
const DefaultPoolBytes = 32 << 20

// Module serves PEP on every account.
type Module struct {
	// Quotas bound each account's PEP service; DefaultQuotas when zero.
	Quotas pubsub.Quotas
	// PoolBytes bounds every account's PEP items together, unless
	// Quotas sets a Pool; DefaultPoolBytes when zero, none when negative.
	PoolBytes int64
}

// Name implements module.Module.
func (Module) Name() string { return "pep" }

// state is the module's per-server state. Every use is under the
// router's lock (handlers and hooks), so it needs none of its own.
type state struct {
	core *Core
	env  *routerEnv
	// active are the presence broadcasts in progress, by the sender's
	// full JID (later.go): between a broadcast's pre-hook and its
	// after-hook the router may route other stanzas (it delivers a long
	// broadcast in spans), so each holds its own.
	active map[string]*heldBroadcast
	// inflight counts the unanswered queries by account and recipient.
	inflight map[[2]string]int
}

// Register implements module.Module.
func (m Module) Register(r *module.Registrar) error {
	env := &routerEnv{r: r}
	st := &state{env: env, inflight: make(map[[2]string]int), active: make(map[string]*heldBroadcast)}
	q := m.Quotas
	if q == (pubsub.Quotas{}) {
		q = DefaultQuotas
	}
	if q.Pool == nil && m.PoolBytes >= 0 {
		// One per server (per Register), shared by its accounts.
		limit := m.PoolBytes
		if limit == 0 {
			limit = DefaultPoolBytes
		}
		q.Pool = pubsub.NewPool(limit)
	}
	st.core = New(Config{Env: env, Quotas: q})
	r.Identity(module.OnAccount, module.Identity{Category: "pubsub", Type: "pep"})
	for _, f := range features() {
		r.Feature(module.OnAccount, f)
	}
	r.Disco(module.DiscoItems{Where: module.OnAccount,
		Items: func(q *module.Request) []*xmlnode.Element {
			defer env.use(q.Context)()
			return st.core.Service(q.Account.JID().String()).DiscoItems(q.From.String())
		},
		Node: func(q *module.Request, node string, info bool) ([]*xmlnode.Element, *xmlnode.Element, bool) {
			defer env.use(q.Context)()
			svc := st.core.Service(q.Account.JID().String())
			var kids []*xmlnode.Element
			var err error
			if info {
				kids, err = svc.DiscoInfoNode(q.From.String(), node)
			} else {
				kids, err = svc.DiscoItemsNode(q.From.String(), node)
			}
			if err != nil {
				return nil, pubsub.ErrorReply(q.Stanza, err), true
			}
			return kids, nil, true
		}})
	for _, ns := range []string{pubsub.NS, pubsub.NSOwner} {
		r.IQ(module.IQ{To: module.ToAccount | module.ToSelf, Type: module.Get | module.Set,
			Payload: xml.Name{Space: ns, Local: "pubsub"},
			Handle: func(q *module.Request) {
				acct := acctJID(q.Account)
				// The account at hand: a publish asks about it once per
				// interested contact (Env.Subscribed).
				defer env.useAccount(q.Context, q.Account, acct)()
				if st.bookmarksIQ(q) {
					return
				}
				ok := false
				// The interested contacts' notifications are decided
				// and routed after the lock, before the result (outbox).
				outs, ln, at := st.core.handleIQ(acct, q.Stanza, true)
				for _, out := range outs {
					ok = ok || (out.Name.Local == "iq" && out.Attrib("type") == "result")
				}
				ob := &outbox{c: q.Context}
				if ln != nil {
					ln.env, ln.acct, ln.acctJID, ln.core = env, q.Account, acct, st.core
					ob.send(outs[:at]...)
					ob.notifyLater(ln)
					outs = outs[at:]
				}
				ob.send(outs...)
				if ok && q.Self && touchesBookmarks(q.Payload) {
					st.legacyBroadcast(ob, acct)
				}
			}})
	}
	st.registerCompat(r)
	r.OnPresenceSent(module.Rewrite+1, func(c module.Context, ev *module.Sent) bool {
		if ev.To.Domainpart() != "" {
			return false
		}
		defer env.use(c)()
		acct, from := acctJID(ev.Session.Account()), ev.Session.JID().String()
		st.holdBroadcast(c, from, ev.Stanza)
		st.handle(c, acct, from, st.core.presence(acct, from, ev.Stanza, true, nil, false), nil)
		return false
	})
	r.OnPresenceSent(module.After, func(c module.Context, ev *module.Sent) bool {
		if ev.To.Domainpart() != "" {
			return false
		}
		defer env.use(c)()
		st.flush(c, ev.Session.JID().String())
		return false
	})
	mayAsk := st.mayAsk
	r.OnPresenceDelivered(1, func(c module.Context, ev *module.Delivered) bool {
		if ev.To.Resourcepart() != "" {
			return false
		}
		typ := ev.Stanza.Attrib("type")
		switch typ {
		case "", "unavailable", "unsubscribe":
		default:
			return false
		}
		from := ev.Stanza.Attrib("from")
		b := st.active[from]
		if b != nil && !b.of(ev.Stanza, from) {
			b = nil
		}
		if b != nil && b.unknown {
			// The broadcast's presence to a contact: decided later.
			b.accts = append(b.accts, ev.Account)
			return false
		}
		acct := acctJID(ev.Account)
		defer env.useAccount(c, ev.Account, acct)()
		st.handle(c, acct, from, st.core.presence(acct, from, ev.Stanza, false, mayAsk, b != nil), b)
		return false
	})
	// A removed account's nodes go with it (XEP-0060 delete notifications
	// to their subscribers), as Prosody's mod_pep does on user-deleted.
	r.OnAccountRemoved(module.After, func(c module.Context, a module.Account) {
		defer env.use(c)()
		ob := &outbox{c: c}
		ob.send(st.core.Forget(a.JID().String())...)
	})
	return nil
}

// Features are the disco#info features of an account's PEP service, as
// Prosody's mod_pep lists them.
func Features() []string { return slices.Clone(features()) }

// features is what Features returns, computed once: it depends on no
// configuration, and making the pubsub service that lists it cost every
// server (one per scansion script) about 40 allocations at New.
var features = sync.OnceValue(func() []string {
	s := pubsub.NewService(pubsub.ServiceConfig{Defaults: pubsub.PEPDefaults(), AutocreateOnPublish: true})
	f := s.Features()
	for _, x := range []string{"auto-subscribe", "filtered-notifications", "presence-notifications", "presence-subscribe"} {
		f = append(f, pubsub.NS+"#"+x)
	}
	return f
})

// routerEnv answers Env from the router's state, through the Context of
// the handler or hook being run.
type routerEnv struct {
	r *module.Registrar
	c module.Context
	// known is an account the hook being run has at hand, with its bare
	// JID string: the one the presence hooks ask about for every
	// recipient of a broadcast, found without a lookup.
	known    module.Account
	knownJID string
}

// use sets the Context for the duration of a call: defer env.use(c)().
func (e *routerEnv) use(c module.Context) func() { return e.useAccount(c, nil, "") }

// useAccount is use, with a (whose bare JID is bare) known.
func (e *routerEnv) useAccount(c module.Context, a module.Account, bare string) func() {
	prev, prevA, prevJID := e.c, e.known, e.knownJID
	e.c, e.known, e.knownJID = c, a, bare
	return func() { e.c, e.known, e.knownJID = prev, prevA, prevJID }
}

func (e *routerEnv) account(bare string) module.Account {
	if e.known != nil && bare == e.knownJID {
		return e.known
	}
	p, ok := parseJID(bare)
	if !ok || e.c == nil || p.j.Domainpart() != e.c.Domain() || p.j.Localpart() == "" {
		return nil
	}
	return e.c.Account(p.j.Localpart())
}

func (e *routerEnv) Exists(acct string) bool { return e.account(acct) != nil }

func (e *routerEnv) Subscribed(acct, contact string) bool {
	a := e.account(acct)
	if a == nil {
		return false
	}
	// Context.MaySeePresence, by the strings at hand: the owner, or a
	// contact subscribed to the owner's presence. A publish asks once per
	// interested contact, each a bare JID in its normal form already:
	// looked up as it is first, parsed only when that says no.
	if contact == acct || rostermod.SubscribedFrom(a, contact) {
		return true
	}
	cj, ok := parseJID(contact)
	if !ok || cj.bare == contact {
		return false
	}
	return cj.bare == acct || rostermod.SubscribedFrom(a, cj.bare)
}

func (e *routerEnv) Groups(acct, contact string) ([]string, bool) {
	a := e.account(acct)
	if a == nil {
		return nil, false
	}
	return rostermod.Groups(a, contact)
}

func (e *routerEnv) LocalSubscribers(acct string) []string {
	a := e.account(acct)
	cs := e.r.ContactsProvider()
	if a == nil || cs == nil {
		return nil
	}
	var out []string
	cs.EachSubscriber(a, func(b jid.JID) {
		if b.Domainpart() == e.c.Domain() {
			out = append(out, b.String())
		}
	})
	return out
}
