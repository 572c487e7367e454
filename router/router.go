// Package router is the server's routing core: accounts, bound sessions and
// the delivery rules of RFC 6120 section 10 and RFC 6121 section 8 (presence
// broadcast, directed presence, messages to bare and full JIDs, iq routing),
// and the registry of feature modules (package module) compiled into fixed
// tables when the Router is made. It binds the client streams (Bind, which
// the server's c2s.Host calls), checks their credentials (Auth) and
// handles their stanzas (c2sapi.Handler), and component.AddressedRouter
// for the components mounted by domain (the XEP-0045 MUC service is one).
//
// The router knows no feature: the XEPs live in their own packages under
// mod/ and reach the router only through what they register. Nor does it
// import package c2s or net/http (client streams are c2sapi types; the
// server wires c2s to it), so that every module's test binary, which
// links the router through package moduletest, links no TLS or HTTP stack
// (TestCoreLinksNoTLS). A panic in
// any handler, hook or component is recovered for the stanza that caused
// it (the sender gets internal-server-error, the log the stack) and the
// router keeps serving everyone else.
//
// Concurrency: one mutex guards every account and session. Routing is
// synchronous in the goroutine that read the stanza; delivery to a session
// is a queue append (c2s.Session.Send), so nothing blocks while the lock is
// held. Stanzas for components are collected while the lock is held and
// handed over after it is released (txn), because a component routes its
// answers back through Route, which takes the lock. Work that grows with
// what accounts hold is split into spans of the lock, each short (issue
// 11: about a millisecond at most), run by the stanza's goroutine before
// it reads the next stanza and in the order one span would have given
// (txn.flush): a presence broadcast reaches its contacts a chunk per span
// (broadcast.go). ObserveLock shows every span, for benchmarks.
package router

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/muctest/muctest/c2sapi"
	"github.com/muctest/muctest/jidcheck"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/quota"
)

// Config sets up a Router.
type Config struct {
	// Domain is the server's domain, already lower-case.
	Domain string
	// Accounts are fixed name -> password pairs that exist from the start.
	Accounts map[string]string
	// AnyPassword: PLAIN accepts any password and creates the account on
	// first login (Prosody's scansion configuration).
	AnyPassword bool
	// Logger receives logs (panics with their stack among them); nil
	// discards them.
	Logger *slog.Logger
	// Busy, when set, is told +1 and -1 around work the router does in a
	// goroutine of its own (deliveries to components deferred from a
	// component's Route), so that the server's WaitIdle counts it.
	Busy func(delta int)
	// Modules are registered in order; their registrations are compiled
	// into the Router's tables.
	Modules []module.Module
	// Quotas bound the accounts any-password mode makes and the resources
	// per account (Accounts, AccountsPerIPPerMinute, Resources; zero
	// fields take package quota's defaults). See provisional.go, quotas.go.
	Quotas quota.Limits
}

// Conn is the delivery side of a bound session: a c2s.Session, the fake
// connection of package moduletest, or a module's layer over one of those
// (module.Stream.SetConn).
type Conn = module.Conn

// Router routes stanzas between sessions, accounts, modules and
// components. Make one with New.
type Router struct {
	domain      string
	anyPassword bool
	log         *slog.Logger
	busy        func(int)
	jids        jidCache // parsed "to" of component stanzas (Route)
	// clientJIDs are the parsed "to" of clients' stanzas (jidcheck.Parse,
	// which runs PRECIS three times: once, then twice more to check the
	// result is stable); a room's address is parsed once, not per message.
	clientJIDs jidCache
	reg        *module.Registrar

	tables

	mu       spanMutex // guards everything below and all account/session state
	accounts map[string]*account
	// bound indexes the bound sessions by the string form of their full
	// JID, for RouteTo: one lookup finds the recipient of a
	// room's broadcast, without parsing its address (jids) nor looking up
	// its account and resource.
	bound map[string]*session
	// provisional are accounts made for a stanza to a new name, forgotten
	// unless used (provisional.go); quotas are Config.Quotas with defaults.
	provisional []*account
	quotas      quota.Limits
	total       *quota.Total // every account's state together (quotas.go)
	logins      loginLimiter
	closed      bool
	pending     map[string][]*pendingIQ // SendIQs waiting, by id, recipient and sender
	// broadcasts are the presence broadcasts left unfinished for later
	// spans, by the sender's full JID (broadcast.go).
	broadcasts map[string]*broadcast
	// directedTotal is the bytes of every session's directed presence
	// targets (Quotas.DirectedTotalBytes).
	directedTotal int
	// unfinished is len(broadcasts), read without the lock by every
	// stanza's drainBroadcast.
	unfinished atomic.Int32
	// deliveries counts the stanzas written to sessions
	// (module.Deliveries), which bounds a broadcast's span.
	deliveries uint64
	iqSeq      uint64
	wg         sync.WaitGroup // deferred component deliveries, SendIQ timers
}

// New compiles cfg's modules into a Router. A registration error (two
// handlers for one iq, a component at a taken domain...) is returned.
func New(cfg Config) (*Router, error) {
	r := &Router{domain: cfg.Domain, anyPassword: cfg.AnyPassword, log: cfg.Logger, busy: cfg.Busy,
		accounts: map[string]*account{}, bound: map[string]*session{}, pending: map[string][]*pendingIQ{},
		quotas: cfg.Quotas.WithDefaults(), clientJIDs: jidCache{parseFn: jidcheck.Parse}}
	r.total = quota.NewTotal(r.quotas.TotalBytes)
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.busy == nil {
		r.busy = func(int) {}
	}
	if _, err := jidcheck.NewFast("", r.domain, ""); err != nil || r.domain != strings.ToLower(r.domain) {
		return nil, fmt.Errorf("router: bad domain %q", cfg.Domain)
	}
	for name, pass := range cfg.Accounts {
		j, err := jidcheck.NewFast(name, r.domain, "")
		if err != nil {
			return nil, fmt.Errorf("router: bad account name %q: %w", name, err)
		}
		r.accounts[j.Localpart()] = newAccount(r, j.Localpart(), pass)
	}
	r.reg = module.NewRegistrar(module.Env{Domain: r.domain, Router: r, Logger: r.log, Locked: r.locked})
	// A few dozen modules: comparing each name with those before costs
	// less than a map of them.
	var buf [64]string
	names := buf[:0]
	for _, m := range cfg.Modules {
		name := m.Name()
		if slices.Contains(names, name) {
			return nil, fmt.Errorf("router: module %s listed twice", name)
		}
		names = append(names, name)
		r.reg.Begin(name)
		if err := m.Register(r.reg); err != nil {
			return nil, fmt.Errorf("router: module %s: %w", m.Name(), err)
		}
	}
	if err := r.reg.Err(); err != nil {
		return nil, fmt.Errorf("router: %w", err)
	}
	r.reg.RememberSizes()
	if err := r.compile(r.reg); err != nil {
		return nil, fmt.Errorf("router: %w", err)
	}
	return r, nil
}

// Domain is the server's domain.
func (r *Router) Domain() string { return r.domain }

// Registrar is what the modules registered, for modules that describe the
// others (mod/disco) and for the server.
func (r *Router) Registrar() *module.Registrar { return r.reg }

// StreamFeatures and StreamElements are the c2s extensions the modules
// registered, which the server hands to package c2s.
func (r *Router) StreamFeatures() []c2sapi.Feature        { return r.reg.StreamFeatures() }
func (r *Router) StreamElements() []c2sapi.ElementHandler { return r.reg.StreamElements() }

// Bind2Features are the modules' XEP-0386 inline features (BindInline
// runs them).
func (r *Router) Bind2Features() []c2sapi.Bind2Feature { return r.reg.Bind2Features() }

// SASL2Features are the modules' XEP-0388 inline requests (XEP-0198's
// resumption).
func (r *Router) SASL2Features() []c2sapi.SASL2Feature { return r.reg.SASL2Features() }

// Components returns the mounted components' domains, in order.
func (r *Router) Components() []string {
	out := make([]string, len(r.comps))
	for i, c := range r.comps {
		out[i] = c.domain
	}
	return out
}

// Shutdown tells every component that has a Shutdown method that the server
// is going away (the MUC service then tells occupants, XEP-0045 status
// 332), before the sessions are closed.
func (r *Router) Shutdown() {
	for _, c := range r.comps {
		if sd, ok := c.h.(interface{ Shutdown() }); ok {
			r.shutdownComponent(c.domain, sd)
		}
	}
}

func (r *Router) shutdownComponent(domain string, sd interface{ Shutdown() }) {
	defer func() {
		if v := recover(); v != nil {
			r.logPanic(v, "component shutdown", "domain", domain)
		}
	}()
	sd.Shutdown()
}

// Close ends what the router runs itself once every session is gone:
// pending SendIQs get ErrClosed, deferred deliveries finish, OnClose
// functions run. It waits for the router's goroutines.
func (r *Router) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		r.wg.Wait()
		return nil
	}
	r.closed = true
	tx := &txn{r: r}
	r.cancelPending(tx)
	r.mu.Unlock()
	r.flush(tx)
	r.wg.Wait()
	for _, f := range r.reg.Closers() {
		f()
	}
	return nil
}

// ErrClosed is returned by Bind after Close.
var ErrClosed = errors.New("router: closed")

// StateSize reports the bytes the modules hold for account name and its
// bound sessions (the values that implement module.Sizer), 0 for an
// account that does not exist: what issue 11's quotas are put on.
func (r *Router) StateSize(name string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	a := r.accounts[name]
	if a == nil {
		return 0
	}
	n := a.state.Size()
	for _, ss := range a.sessions {
		n += ss.state.Size()
	}
	return n
}
