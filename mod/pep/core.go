// Package pep is XEP-0163 Personal Eventing Protocol: a pubsub service
// (package pubsub) on every account's bare JID, with the behaviour of
// Prosody's mod_pep: nodes created on first publish (publish-options as
// their configuration), access by presence subscription, and
// notifications filtered by XEP-0115 entity capabilities. A client says
// which nodes it wants with "NODE+notify" features; the server asks a
// client's caps node once per ver (disco#info from the account's bare
// JID, id "disco"), caches the answer by its verification string, and
// delivers a node's notifications to the resources that asked for it, the
// last item included when they come online or first ask.
//
// Core holds that logic without the router: the module (module.go) feeds
// it presences, disco answers and iqs, and routes what it returns. On
// top of PEP (compat.go), as Prosody trunk's mod_bookmarks and
// mod_vcard_legacy: XEP-0048 bookmarks in XEP-0049 private XML and in the
// legacy PEP node are XEP-0402 bookmarks 2 (package mod/bookmarks), and a
// vCard PHOTO is a XEP-0084 avatar whose hash every presence carries
// (package mod/avatar).
package pep

import (
	"slices"
	"sync"

	"github.com/muctest/muctest/caps"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/pubsub"
	"github.com/muctest/muctest/xmlnode"
)

// Env is what Core needs to know about accounts and rosters.
type Env interface {
	// Exists reports whether the account (a bare JID) exists: PEP of a
	// missing account is a service with no nodes where nothing is allowed.
	Exists(account string) bool
	// Subscribed reports whether the bare JID contact may see account's
	// presence (subscription "from" or "both"): the presence access model,
	// and whom the account's presence reaches.
	Subscribed(account, contact string) bool
	// Groups returns the groups of contact on account's roster and
	// whether contact is on it (the roster access model).
	Groups(account, contact string) ([]string, bool)
	// LocalSubscribers returns the local accounts (bare JIDs) subscribed
	// to account's presence.
	LocalSubscribers(account string) []string
}

// Config sets up a Core.
type Config struct {
	Env Env
	// Quotas bound each account's PEP service.
	Quotas pubsub.Quotas
	// MaxRecipients bounds the resources (and bare JIDs) whose interest
	// one account's service remembers; 0 for 1000.
	MaxRecipients int
	// MaxCachedVers bounds the caps answers cached; 0 for 10000, as
	// Prosody's pep_info_cache_size.
	MaxCachedVers int
	// NewID makes ids; random when nil.
	NewID func() string
}

// Core is every account's PEP service and the caps-based interest in
// their nodes. It is safe for concurrent use.
type Core struct {
	cfg Config

	mu       sync.Mutex
	accounts map[string]*account
	// vers maps a caps verification string to the nodes it +notifies.
	vers     map[string][]string
	verOrder []string // oldest first, for eviction
	nobody   *pubsub.Service
}

// account is one account's PEP: its service and who wants what.
type account struct {
	jid string
	svc *pubsub.Service
	// interest maps a recipient (a full JID, or a local contact's bare
	// JID) to the nodes its caps +notify, in the order they came.
	interest map[string]*recipient
	// order holds the same recipients in the order they came: a publish
	// runs over it, without a lookup per recipient.
	order []*recipient
	// deferring is set while handleIQ runs an operation whose
	// notifications to the interested recipients the caller sends later
	// (pubsub.ServiceConfig.InterestedLater); later is what it left.
	// Both guarded by Core.mu.
	deferring bool
	later     *laterNotify
}

// laterNotify is a notification of node that an operation left for the
// interested recipients who (pubsub.Service.NotifyInterested decides
// which of them get it, a part at a time), to be routed where the
// operation's own result is, before it.
type laterNotify struct {
	svc  *pubsub.Service
	node string
	msg  *xmlnode.Element
	who  []string
	// What the module sets for the later spans: the account, for the
	// access checks (Env), and the Core, to tell when the service has
	// gone meanwhile (the account removed: its delete notifications
	// went, nothing may follow them).
	env     *routerEnv
	acct    module.Account
	acctJID string
	core    *Core
}

// gone reports whether ln's service is no longer its account's.
func (ln *laterNotify) gone() bool {
	a := ln.core.existing(ln.acctJID)
	return a == nil || a.svc != ln.svc
}

type recipient struct {
	jid   string // its key in interest
	key   string // the caps key its nodes came from, "" when unknown
	nodes []string
	// bare is the recipient's bare JID, kept for interested, which a
	// publish runs over up to MaxRecipients with the lock held.
	bare string
}

// New returns a Core.
func New(cfg Config) *Core {
	if cfg.MaxRecipients == 0 {
		cfg.MaxRecipients = 1000
	}
	if cfg.MaxCachedVers == 0 {
		cfg.MaxCachedVers = 10000
	}
	c := &Core{cfg: cfg, accounts: make(map[string]*account), vers: make(map[string][]string)}
	c.nobody = pubsub.NewService(pubsub.ServiceConfig{
		Defaults: pubsub.PEPDefaults(),
		Affiliation: func(string, string, string) pubsub.Affiliation {
			return pubsub.Outcast
		},
	})
	return c
}

// Service returns the PEP service of account (a bare JID), made on first
// use; for an account that does not exist, a service where nothing is
// allowed.
func (c *Core) Service(acct string) *pubsub.Service {
	a := c.account(acct)
	if a == nil {
		return c.nobody
	}
	return a.svc
}

func (c *Core) account(acct string) *account {
	c.mu.Lock()
	a := c.accounts[acct]
	c.mu.Unlock()
	if a != nil {
		return a
	}
	if !c.cfg.Env.Exists(acct) {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if a = c.accounts[acct]; a != nil {
		return a
	}
	a = c.newAccount(acct)
	c.accounts[acct] = a
	return a
}

// newAccount makes the PEP state of acct, not yet remembered.
func (c *Core) newAccount(acct string) *account {
	a := &account{jid: acct, interest: make(map[string]*recipient)}
	env := c.cfg.Env
	a.svc = pubsub.NewService(pubsub.ServiceConfig{
		JID:                 acct,
		Defaults:            pubsub.PEPDefaults(),
		AccessModels:        []string{pubsub.AccessOpen, pubsub.AccessPresence, pubsub.AccessRoster, pubsub.AccessWhitelist},
		AutocreateOnPublish: true,
		Quotas:              c.cfg.Quotas,
		NewID:               c.cfg.NewID,
		Roster:              roster{env: env, account: acct},
		Interested:          func(node string) []string { return c.interested(a, node) },
		InterestedLater: func(node string, msg *xmlnode.Element, who []string) bool {
			c.mu.Lock()
			defer c.mu.Unlock()
			if !a.deferring {
				return false
			}
			a.later = &laterNotify{svc: a.svc, node: node, msg: msg, who: who}
			return true
		},
		Affiliation: func(b, _, _ string) pubsub.Affiliation {
			if b == acct {
				return pubsub.Owner
			}
			return ""
		},
	})
	return a
}

// roster adapts Env to one account's pubsub.Roster.
type roster struct {
	env     Env
	account string
}

func (r roster) PresenceSubscribed(contact string) bool {
	return contact == r.account || r.env.Subscribed(r.account, contact)
}

func (r roster) Groups(contact string) ([]string, bool) { return r.env.Groups(r.account, contact) }

// interested returns the recipients whose caps want node. It runs with
// the service's lock held (pubsub.ServiceConfig.Interested) and takes
// only c.mu. A contact's bare JID (learnt from the contact's own answer)
// is left out once one of its resources answered for itself: a headline
// to the bare JID would reach that resource a second time.
func (c *Core) interested(a *account, node string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	// bares are the bare JIDs among out, each true once a full JID of it
	// is there too; most services have none (only an own caps answer
	// makes them), and then nothing is looked up per recipient.
	var bares map[string]bool
	for _, rc := range a.order {
		if r := rc.jid; slices.Contains(rc.nodes, node) {
			out = append(out, r)
			if rc.bare == r {
				if bares == nil {
					bares = map[string]bool{}
				}
				bares[r] = false
			}
		}
	}
	if len(bares) == 0 {
		return out
	}
	for _, r := range out {
		if b := a.interest[r].bare; b != r {
			if _, ok := bares[b]; ok {
				bares[b] = true
			}
		}
	}
	return slices.DeleteFunc(out, func(r string) bool { return bares[r] })
}

// HandleIQ answers a pubsub iq to account's bare JID (or, from its owner,
// without a "to"), returning what to route in order. Someone else's
// request to an account that has no PEP state yet is answered by a
// service made for it and forgotten: strangers' queries to every name in
// an any-password server cost it nothing to keep.
func (c *Core) HandleIQ(acct string, iq *xmlnode.Element) []*xmlnode.Element {
	out, _, _ := c.handleIQ(acct, iq, false)
	return out
}

// handleIQ is HandleIQ; with later, the notifications to the interested
// recipients of a node the iq makes notify are left out of what it
// returns, for the caller to send with NotifyInterested before out[at:]
// (the result and what follows it).
func (c *Core) handleIQ(acct string, iq *xmlnode.Element, later bool) (out []*xmlnode.Element, ln *laterNotify, at int) {
	a := c.existing(acct)
	if a == nil {
		if bareOf(iq.Attrib("from")) != acct && !c.cfg.Env.Exists(acct) {
			return c.nobody.HandleIQ(iq), nil, 0
		}
		if bareOf(iq.Attrib("from")) != acct {
			a = c.newAccount(acct) // not kept
		} else if a = c.account(acct); a == nil {
			return c.nobody.HandleIQ(iq), nil, 0
		}
	}
	if !later {
		return a.svc.HandleIQ(iq), nil, 0
	}
	c.mu.Lock()
	a.deferring = true
	c.mu.Unlock()
	out = a.svc.HandleIQ(iq)
	c.mu.Lock()
	ln, a.later, a.deferring = a.later, nil, false
	c.mu.Unlock()
	if ln == nil {
		return out, nil, 0
	}
	at = len(out)
	for i, el := range out {
		if el.Name.Local == "iq" {
			at = i
			break
		}
	}
	return out, ln, at
}

// Output is what a presence or a disco answer makes the service send: a
// disco#info query to learn what a client's caps stand for, and
// notifications of last items.
type Output struct {
	Query *xmlnode.Element // nil when the caps are known
	Items []*xmlnode.Element
}

// Presence takes a presence from the full JID from that reaches acct:
// the account's own broadcast (self) or a contact's presence delivered to
// the account. Available presence with caps makes from a recipient of the
// nodes its caps +notify (asking what they are when the ver is unknown);
// unavailable presence, or available presence without caps, forgets it;
// an unsubscribe forgets every resource of its sender.
func (c *Core) Presence(acct, from string, p *xmlnode.Element, self bool) Output {
	o := c.presence(acct, from, p, self, nil, false)
	out := Output{Items: o.items}
	if o.asking {
		out.Query = o.ask.Query(acct, from, queryID)
	}
	return out
}

// queryID is the id of every caps query, as Prosody's mod_pep sends it.
const queryID = "disco"

// outcome is Output before its query is built: the caps to ask from
// about, so that a hook may leave the building for after the router's
// lock (module.Context.SendIQLater).
type outcome struct {
	items  []*xmlnode.Element
	ask    caps.Caps
	asking bool
	// held: the caps are unknown, and whether to ask about them is left
	// for later (presence's hold).
	held bool
}

// presence is Presence with mayAsk, when not nil, saying whether a caps
// query from acct to "from" would go out now (the module bounds the
// unanswered ones): when it would not, a presence with unknown caps is
// answered with nothing before anything else is looked up, as its query
// would be dropped. A client that never answers costs each contact's
// service a few map lookups per presence, not a query made and dropped.
//
// With hold, a presence with unknown caps that would be asked about is
// answered with held and nothing else looked up: the module decides
// later, in a span of its own (module.Context.Later, held), whether the
// service asks (caps), and what a broadcast's thousand contacts' services
// do under the lock in the broadcast's span is these few map lookups.
func (c *Core) presence(acct, from string, p *xmlnode.Element, self bool, mayAsk func(acct, to string) bool, hold bool) outcome {
	typ := p.Attrib("type")
	cp, hasCaps := caps.FromPresence(p)
	if typ == "unavailable" {
		hasCaps = false // it forgets from whatever it says
	}
	return c.presenceOf(acct, from, typ, cp, hasCaps, self, mayAsk, hold)
}

// held is what presence does for an available presence with caps cp
// from "from" to acct, without hold: what a held one (presence's) comes
// to when it is looked at again.
func (c *Core) held(acct, from string, cp caps.Caps, mayAsk func(acct, to string) bool) outcome {
	return c.presenceOf(acct, from, "", cp, true, false, mayAsk, false)
}

// presenceOf is presence once the presence's type and caps are read.
func (c *Core) presenceOf(acct, from, typ string, cp caps.Caps, hasCaps, self bool, mayAsk func(acct, to string) bool, hold bool) outcome {
	if (typ == "" || typ == "unavailable") && c.unchanged(acct, from, cp, hasCaps) {
		return outcome{}
	}
	if typ == "" && hasCaps && mayAsk != nil {
		c.mu.Lock()
		_, known := c.vers[cp.Key()]
		c.mu.Unlock()
		if !known && !mayAsk(acct, from) {
			return outcome{}
		}
		if !known && hold {
			return outcome{ask: cp, held: true}
		}
	}
	fj, ok := parseJID(from)
	if !ok {
		return outcome{}
	}
	fromBare := fj.bare
	switch typ {
	case "":
		if !self && !c.cfg.Env.Subscribed(acct, fromBare) {
			return outcome{}
		}
		a := c.account(acct)
		if a == nil {
			return outcome{}
		}
		if !hasCaps {
			return outcome{items: c.update(a, from, "", nil)}
		}
		c.mu.Lock()
		cur := a.interest[from]
		if cur != nil && cur.key == cp.Key() {
			c.mu.Unlock()
			return outcome{}
		}
		nodes, known := c.vers[cp.Key()]
		c.mu.Unlock()
		if known {
			return outcome{items: c.update(a, from, cp.Key(), nodes)}
		}
		return outcome{ask: cp, asking: true}
	case "unavailable":
		if a := c.existing(acct); a != nil {
			c.update(a, from, "", nil)
		}
	case "unsubscribe":
		if a := c.existing(acct); a != nil && !self {
			c.mu.Lock()
			var gone []string
			for _, rc := range a.order {
				if rc.bare == fromBare {
					gone = append(gone, rc.jid)
				}
			}
			c.mu.Unlock()
			for _, r := range gone {
				c.update(a, r, "", nil)
			}
		}
	}
	return outcome{}
}

// known reports whether the caps answer keyed key is cached.
func (c *Core) known(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.vers[key]
	return ok
}

// unchanged reports whether a presence from "from" would change nothing
// in acct's service, whoever sent it: an unavailable presence or one
// without caps when from is not a recipient of any node, one with caps
// when from is one already, by the same key. That is every presence but a client's first with new caps, and it
// is answered with two map lookups: a presence broadcast asks it once per
// contact with the router's lock held.
func (c *Core) unchanged(acct, from string, cp caps.Caps, hasCaps bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	var cur *recipient
	if a := c.accounts[acct]; a != nil {
		cur = a.interest[from]
	}
	if !hasCaps {
		return cur == nil
	}
	return cur != nil && cur.key == cp.Key()
}

func (c *Core) existing(acct string) *account {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.accounts[acct]
}

// DiscoResult takes the answer of from (a full JID) to acct's caps query:
// the answer is cached by its verification string, from gets the nodes it
// +notifies, and, when from is the account itself, so does the account's
// bare JID with every local contact that sees its presence (Prosody's
// optimisation: their services learn the account's interests without
// asking). It returns the last items now due.
func (c *Core) DiscoResult(acct, from string, query *xmlnode.Element) []*xmlnode.Element {
	ans, ok := c.learn(acct, from, query)
	if !ok {
		return nil
	}
	var out []*xmlnode.Element
	if ans.own {
		for _, contact := range c.cfg.Env.LocalSubscribers(acct) {
			out = append(out, c.share(contact, ans)...)
		}
	}
	return append(out, c.answered(ans)...)
}

// answer is what a caps answer of from to acct's query taught: the
// nodes its ver +notifies, and whether from is the account itself
// (own), whose local contacts' services learn them too (share).
type answer struct {
	acct, from, ver string
	nodes           []string
	own             bool
}

// learn caches the caps answer query of from to acct's query: DiscoResult
// up to what is sent, which the module spreads over spans (share for
// each contact, then answered).
func (c *Core) learn(acct, from string, query *xmlnode.Element) (answer, bool) {
	if query == nil || query.Name.Space != caps.NSDiscoInfo || c.account(acct) == nil {
		return answer{}, false
	}
	ans := answer{acct: acct, from: from, nodes: caps.Notify(query), ver: caps.Ver(query), own: bareOf(from) == acct}
	c.cache(ans.ver, ans.nodes)
	return ans, true
}

// share makes the account's bare JID a recipient, in contact's service,
// of the nodes an own answer +notifies, and returns the last items due.
func (c *Core) share(contact string, ans answer) []*xmlnode.Element {
	if ca := c.account(contact); ca != nil {
		return c.update(ca, ans.acct, "", ans.nodes)
	}
	return nil
}

// answered makes the answer's sender a recipient of the nodes it
// +notifies in the account's own service, and returns the last items due.
func (c *Core) answered(ans answer) []*xmlnode.Element {
	if a := c.account(ans.acct); a != nil {
		return c.update(a, ans.from, ans.ver, ans.nodes)
	}
	return nil
}

func (c *Core) cache(ver string, nodes []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.vers[ver]; !ok {
		if len(c.verOrder) >= c.cfg.MaxCachedVers {
			delete(c.vers, c.verOrder[0])
			c.verOrder = c.verOrder[1:]
		}
		c.verOrder = append(c.verOrder, ver)
	}
	c.vers[ver] = nodes
}

// update sets the nodes recipient wants from a's service (none: forget
// it) and returns the last items of the nodes it did not want before.
func (c *Core) update(a *account, r, key string, nodes []string) []*xmlnode.Element {
	c.mu.Lock()
	cur := a.interest[r]
	var added []string
	for _, n := range nodes {
		if cur == nil || !slices.Contains(cur.nodes, n) {
			added = append(added, n)
		}
	}
	switch {
	case len(nodes) == 0 && key == "":
		if cur != nil {
			delete(a.interest, r)
			a.order = slices.DeleteFunc(a.order, func(rc *recipient) bool { return rc.jid == r })
		}
	case cur != nil:
		cur.key, cur.nodes = key, slices.Clone(nodes)
	default:
		if len(a.order) >= c.cfg.MaxRecipients {
			// The oldest interest goes: a bound on what strangers'
			// presences can make an account's service remember.
			delete(a.interest, a.order[0].jid)
			a.order = a.order[1:]
		}
		rc := &recipient{jid: r, key: key, nodes: slices.Clone(nodes), bare: bareOf(r)}
		a.interest[r] = rc
		a.order = append(a.order, rc)
	}
	c.mu.Unlock()
	var out []*xmlnode.Element
	for _, n := range added {
		out = append(out, a.svc.PresenceLastItem(n, r)...)
	}
	return out
}

// Forget drops acct's PEP service and returns the delete notifications of
// its nodes, for an account being removed.
func (c *Core) Forget(acct string) []*xmlnode.Element {
	c.mu.Lock()
	a := c.accounts[acct]
	delete(c.accounts, acct)
	c.mu.Unlock()
	if a == nil {
		return nil
	}
	return a.svc.DeleteAll()
}
