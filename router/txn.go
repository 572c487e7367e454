package router

import (
	"log/slog"
	"runtime/debug"

	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/muctest/muctest/component"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/xmlnode"
)

// txn is one routing transaction: what happens while the lock is held for
// one stanza. It collects the stanzas for components, handed over after
// unlocking (flush), and it is the module.Context handlers and hooks get.
type txn struct {
	r           *Router
	toComponent []compStanza
	// later are the replies handlers finish after unlocking
	// (module.Context.RouteLater), the iqs they send then (SendIQLater)
	// and the functions they leave for spans of their own (Later), run
	// by flush.
	later []laterReply
	// frames are what flush has still to run, a stack: what one entry
	// leaves (later, when it has run) is pushed on top and run before
	// the rest of its frame, so that work a span defers keeps its place
	// (flush).
	frames [][]laterReply
	// client and clientStanza are the session whose stanza this txn
	// routes and that stanza, for the Origin a component gets with it
	// (origin.go); nil for a txn no client stanza started.
	client       *session
	clientStanza *xmlnode.Element
	// prepared is the client stanza's IQ.Prepare result (prepare.go).
	prepared prepared
}

type compStanza struct {
	h      component.Handler
	st     *xmlnode.Element
	origin component.Origin
}

// laterReply is one RouteLater (build makes the reply, cause is what a
// panic in it answers with internal-server-error), SendIQLater (iq set)
// or Later (locked set).
type laterReply struct {
	cause *xmlnode.Element
	build func() *xmlnode.Element
	// iq is the wait of a SendIQLater's iq (under iqKey in pending),
	// nil for a RouteLater.
	iq    *pendingIQ
	iqKey string
	// locked, when set, is a Later's function, run with the lock held
	// (cause and build unset).
	locked func(module.Context)
}

var _ module.Context = (*txn)(nil)

func (tx *txn) Domain() string { return tx.r.domain }

func (tx *txn) Route(st *xmlnode.Element) { tx.r.reply(tx, st) }

// RouteLater implements module.Context.RouteLater: build is kept for flush,
// which every entry point calls after unlocking.
func (tx *txn) RouteLater(cause *xmlnode.Element, build func() *xmlnode.Element) {
	tx.later = append(tx.later, laterReply{cause: cause, build: build})
}

// Later implements module.Context.Later: f is kept for flush, which runs
// it with the lock taken again.
func (tx *txn) Later(f func(module.Context)) {
	tx.later = append(tx.later, laterReply{locked: f})
}

// pending reports whether the txn has work for flush.
func (tx *txn) pending() bool {
	if len(tx.toComponent) > 0 || len(tx.later) > 0 {
		return true
	}
	for _, f := range tx.frames {
		if len(f) > 0 {
			return true
		}
	}
	return false
}

// nextLater takes the next entry flush runs: what the last one left
// (later) goes on the stack first, so that it runs before what came after
// that entry (depth first); ok is false when nothing is left.
func (tx *txn) nextLater() (l laterReply, ok bool) {
	if len(tx.later) > 0 {
		tx.frames = append(tx.frames, tx.later)
		tx.later = nil
	}
	for len(tx.frames) > 0 {
		top := len(tx.frames) - 1
		if f := tx.frames[top]; len(f) > 0 {
			tx.frames[top] = f[1:]
			return f[0], true
		}
		tx.frames = tx.frames[:top]
	}
	return laterReply{}, false
}

func (tx *txn) Bounce(st *xmlnode.Element, typ stanza.ErrorType, cond stanza.Condition, text string) {
	tx.r.bounce(tx, st, typ, cond, text)
}

func (tx *txn) Account(name string) module.Account {
	if a := tx.r.accountLocked(name); a != nil {
		return a
	}
	return nil
}

func (tx *txn) SendPresenceOf(a module.Account, to jid.JID, pres *xmlnode.Element) int {
	return tx.r.sendAvailable(tx, a.(*account), to, pres)
}

func (tx *txn) MaySeePresence(a module.Account, from jid.JID) bool {
	acct := a.(*account)
	if from.Localpart() == acct.name && from.Domainpart() == tx.r.domain {
		return true
	}
	return tx.r.isSubscriber(acct, from.Bare())
}

func (tx *txn) Unbind(s module.Session, reason string) {
	if ss := s.(*session); !ss.gone {
		tx.r.unbindLocked(tx, ss, reason)
	}
}

func (tx *txn) Logger() *slog.Logger { return tx.r.log }

// Deliveries implements module.Deliveries.
func (tx *txn) Deliveries() uint64 { return tx.r.deliveries }

func (tx *txn) addComponent(h component.Handler, st *xmlnode.Element) {
	c := compStanza{h: h, st: st}
	if st == tx.clientStanza && tx.client != nil {
		c.origin = tx.client.origin()
	}
	tx.toComponent = append(tx.toComponent, c)
}

// flush does what a txn left for after unlocking: it hands the stanzas
// for components over and runs the RouteLater and SendIQLater builds and
// the Later functions, in the order they came, each build taking the
// lock only to route its stanza and each Later function running in a
// span of its own (which may leave more of all of them). What an entry
// leaves runs right after it, before the entries that came after it (a
// stack of frames, nextLater): a span that defers the rest of its work
// to another span (a presence broadcast delivered in chunks, then its
// echo and its initial-presence steps, each of which may defer more)
// keeps the order the work would have had in one span. A panic in a
// component, a build or a Later function is recovered for it.
//
// For a client's stanza flush runs in the session's goroutine, from
// HandleStanza, which returns before the session reads its next stanza:
// a later reply is routed before anything the client sends after the
// request, so it keeps its order in the client's stream (RFC 6120
// section 10.1) as a reply routed under the lock would.
func (r *Router) flush(tx *txn) {
	for tx.pending() {
		if len(tx.toComponent) > 0 {
			c := tx.toComponent[0]
			tx.toComponent = tx.toComponent[1:]
			r.handToComponent(c.h, c.st, c.origin)
			continue
		}
		l, ok := tx.nextLater()
		if !ok {
			return
		}
		r.routeLater(tx, l)
	}
}

// routeLater runs one RouteLater build without the lock, then routes its
// reply with the lock held; a panic in either answers l.cause with
// internal-server-error.
func (r *Router) routeLater(tx *txn, l laterReply) {
	if l.locked != nil {
		r.runLater(tx, l.locked)
		return
	}
	st, ok := r.build(l)
	r.mu.Lock()
	defer r.mu.Unlock()
	if l.iq != nil {
		r.sendLater(tx, l, st, ok)
		return
	}
	if !ok {
		r.bounceSafely(tx, l.cause)
		return
	}
	if st == nil {
		return
	}
	defer func() {
		if v := recover(); v != nil {
			r.logPanic(v, "routing a later reply", "to", st.Attrib("to"))
			r.bounceSafely(tx, l.cause)
		}
	}()
	r.reply(tx, st)
}

// runLater runs a Later's f with the lock held; a panic is logged.
func (r *Router) runLater(tx *txn, f func(module.Context)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	defer func() {
		if v := recover(); v != nil {
			r.logPanic(v, "Later")
		}
	}()
	f(tx)
}

// build runs l.build, reporting false when it panicked (logged), and
// serialises a later reply's payload (serialiseLater), still without the
// lock.
func (r *Router) build(l laterReply) (st *xmlnode.Element, ok bool) {
	defer func() {
		if v := recover(); v != nil {
			attrs := []any{}
			if l.cause != nil {
				attrs = append(attrs, "stanza", l.cause.Name.Local, "from", l.cause.Attrib("from"), "to", l.cause.Attrib("to"))
			}
			r.logPanic(v, "RouteLater build", attrs...)
			st, ok = nil, false
		}
	}()
	st = l.build()
	if st != nil && l.iq == nil {
		st = serialiseLater(st)
	}
	return st, true
}

func (r *Router) handToComponent(h component.Handler, st *xmlnode.Element, o component.Origin) {
	defer r.recoverComponent(st)
	component.Deliver(h, st, o)
}

// recoverComponent is deferred around a component's HandleStanza: a panic
// there is logged and answered to the stanza's sender with
// internal-server-error from the component's address.
func (r *Router) recoverComponent(st *xmlnode.Element) {
	v := recover()
	if v == nil {
		return
	}
	r.logPanic(v, "component", "to", st.Attrib("to"))
	tx := &txn{r: r}
	r.mu.Lock()
	r.bounceSafely(tx, st)
	r.mu.Unlock()
	r.flush(tx)
}

// recoverStanza is deferred, with the lock held, around the routing of one
// stanza: a panic in a handler or hook (or the router) is logged and
// answered with internal-server-error, and the deferred unlock still runs.
func (r *Router) recoverStanza(tx *txn, st *xmlnode.Element) {
	v := recover()
	if v == nil {
		return
	}
	if st == nil {
		r.logPanic(v, "session hook")
		return
	}
	r.logPanic(v, "routing", "stanza", st.Name.Local, "from", st.Attrib("from"), "to", st.Attrib("to"))
	// st is answered with the error: a reply a handler left for later
	// before it panicked must not follow it.
	tx.later = nil
	r.bounceSafely(tx, st)
}

// bounceSafely bounces internal-server-error for st; a panic on the way
// (a hook of the error's delivery) is only logged. The lock is held.
func (r *Router) bounceSafely(tx *txn, st *xmlnode.Element) {
	defer func() {
		if v := recover(); v != nil {
			r.logPanic(v, "bouncing after a panic")
		}
	}()
	if st != nil {
		r.bounce(tx, st, stanza.Cancel, stanza.InternalServerError, "")
	}
}

func (r *Router) logPanic(v any, where string, attrs ...any) {
	r.log.Error("router: recovered a panic", append([]any{"in", where, "panic", v, "stack", string(debug.Stack())}, attrs...)...)
}

// runSent runs the hooks of kind before (pre) or after routing, and
// reports whether one before routing stopped the stanza.
func (r *Router) runSent(tx *txn, kind module.HookKind, pre bool, ev *module.Sent) bool {
	for _, h := range r.hooks[kind] {
		if (h.Priority > 0) != pre {
			continue
		}
		if h.Sent(tx, ev) && pre {
			return true
		}
	}
	return false
}

// runDelivered is runSent for hooks on a stanza for a local account.
func (r *Router) runDelivered(tx *txn, kind module.HookKind, pre bool, ev *module.Delivered) bool {
	for _, h := range r.hooks[kind] {
		if (h.Priority > 0) != pre {
			continue
		}
		if h.Delivered(tx, ev) && pre {
			return true
		}
	}
	return false
}

// runSession runs the session hooks of kind whose priority is above zero
// (pre) or not.
func (r *Router) runSession(tx *txn, kind module.HookKind, pre bool, ss *session) {
	for _, h := range r.hooks[kind] {
		if (h.Priority > 0) == pre {
			h.Session(tx, ss)
		}
	}
}

// hasHooks reports whether any hook is registered at kind.
func (r *Router) hasHooks(kind module.HookKind) bool { return len(r.hooks[kind]) > 0 }
