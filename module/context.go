package module

import (
	"errors"
	"iter"
	"log/slog"
	"sync/atomic"
	"time"

	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/muctest/muctest/stanzaerr"
	"github.com/muctest/muctest/xmlnode"
)

// Context is what a handler or hook may do while the router holds its
// lock: route stanzas the server builds, bounce errors, find accounts and
// ask about presence. It is only valid during the call it was passed to.
type Context interface {
	// Domain is the server's domain.
	Domain() string
	// Route delivers a stanza the server built (its "from" set by the
	// caller) to its "to": a local account or session, or a component.
	Route(st *xmlnode.Element)
	// RouteLater routes the stanza build returns (nothing when nil) as
	// Route would, but build runs after the router's lock is released, so
	// that costly work on what the handler looked up (parsing a stored
	// element back from its wire form, issue 11) does not hold every
	// other stanza up. The rule: build may use only what the handler
	// captured and nobody changes any more (an immutable wire string, a
	// tree of the handler's own), never account or module state, nor c.
	// A panic in build is logged and cause (the stanza the reply answers,
	// e.g. the request's iq) is answered with internal-server-error.
	// For a client's stanza, build runs in the goroutine that handles it,
	// before the client's next stanza is read, so the reply keeps its
	// place in the client's stream (RFC 6120 section 10.1).
	RouteLater(cause *xmlnode.Element, build func() *xmlnode.Element)
	// Later runs f with the router's lock held, in a span of its own
	// after this stanza's (in RouteLater's order, and where its builds
	// run), with a Context of its own: for work a hook must do on the
	// state but need not do in the stanza's span, split so that no span
	// is long (a presence broadcast that makes every one of a thousand
	// contacts' PEP services ask, issue 11). Other stanzas may be routed
	// before f runs, so f looks up again what it needs; f may call Later
	// to go on in another span. What f leaves (Later, RouteLater,
	// SendIQLater) runs right after f, before what was left after f
	// itself: work split into spans keeps the order it had in one (a
	// presence broadcast in chunks, then its echo and what follows). A
	// panic in f is logged.
	Later(f func(c Context))
	// Bounce answers st with a stanza error (RFC 6120 section 8.3) to its
	// sender; never for error stanzas nor iq results.
	Bounce(st *xmlnode.Element, typ stanza.ErrorType, cond stanza.Condition, text string)
	// Account returns the local account name (a localpart), or nil when
	// there is none. In any-password mode every valid name exists and is
	// created on first use.
	Account(name string) Account
	// SendPresenceOf sends the presence of every available session of a to
	// "to", or pres from each of them when pres is not nil (with its "from"
	// and "to" set); it returns how many sessions were available.
	SendPresenceOf(a Account, to jid.JID, pres *xmlnode.Element) int
	// MaySeePresence reports whether from is a's owner or subscribed to
	// a's presence (Contacts), the usual test for account queries.
	MaySeePresence(a Account, from jid.JID) bool
	// SendIQ sends iq (a get or set whose "to" is set; "from" defaults to
	// the server's domain, "id" to a fresh one) and calls done once, with
	// the lock held and a Context of its own, with the result or error
	// stanza its "to" answered with, or with ErrTimeout after timeout, or
	// ErrClosed when the server closes first.
	SendIQ(iq *xmlnode.Element, timeout time.Duration, done func(c Context, reply *xmlnode.Element, err error))
	// SendIQLater is SendIQ for an iq that build makes after the router's
	// lock is released, under RouteLater's rule for build and in its
	// order: what must be decided with the lock held (that the iq goes,
	// and the wait for its answer, by id, to and from) is decided now,
	// and the building, the serialising and the routing of the stanza
	// are not (a hook that asks a thousand contacts' clients, issue 11).
	// The router stamps what build returns (an iq get or set) with id,
	// to and from; from "" is the server's domain, id "" a fresh one.
	// done is called as SendIQ's, or with ErrNotSent when build panicked
	// (logged) or returned nil; an iq whose wait ended before it was
	// routed (ErrTimeout, ErrClosed) is not routed.
	SendIQLater(id, to, from string, build func() *xmlnode.Element, timeout time.Duration, done func(c Context, reply *xmlnode.Element, err error))
	// Unbind takes s offline now (after an UnbindingHook kept it), with
	// reason as its unavailable presence's status.
	Unbind(s Session, reason string)
	// Logger is the server's logger.
	Logger() *slog.Logger
}

// Errors SendIQ's callback may get.
var (
	ErrTimeout = errors.New("module: iq timed out")
	ErrClosed  = errors.New("module: server closed")
	// ErrNotSent: a SendIQLater build panicked or returned nil.
	ErrNotSent = errors.New("module: iq not sent")
)

// Account is a local account as modules see it. Methods are only called
// with the router's lock held (from a handler or hook).
type Account interface {
	// Name is the account's localpart; JID its bare JID.
	Name() string
	JID() jid.JID
	// Sessions yields the bound sessions, in bind order.
	Sessions() iter.Seq[Session]
	// Session returns the bound session with that resource, or nil.
	Session(resource string) Session
	// State holds the modules' per-account values (AccountState).
	State() *Slots
	// SetFlag marks or unmarks the account for a module that must see
	// every stanza delivered to it, even a component's broadcast (see
	// Flag); Flagged reports whether any flag is set.
	SetFlag(f Flag, on bool)
	Flagged() bool
}

// Session is a bound session (RFC 6120 section 7) as modules see it.
type Session interface {
	// JID is the session's full JID.
	JID() jid.JID
	Account() Account
	// Available reports whether the session sent initial presence and has
	// not gone unavailable; Priority and Presence are its last available
	// presence's (RFC 6121 section 4.7.2.3).
	Available() bool
	Priority() int
	Presence() *xmlnode.Element
	// Send queues st for the session as it is (its "to" set by the
	// caller); it never blocks.
	Send(st *xmlnode.Element)
	// State holds the modules' per-session values (SessionState).
	State() *Slots
}

// Contacts is the presence subscription state (RFC 6121 section 3), which
// the router asks to broadcast presence and answer probes; mod/roster
// provides it. Without one, nobody is subscribed to anyone and
// subscription stanzas are dropped.
type Contacts interface {
	// EachSubscriber calls fn with the bare JID of every contact
	// subscribed to a's presence ("from" or "both"), in roster order.
	EachSubscriber(a Account, fn func(bare jid.JID))
	// IsSubscriber reports whether bare may see a's presence.
	IsSubscriber(a Account, bare jid.JID) bool
	// Outbound handles a subscription stanza a's user sent to contact
	// (RFC 6121 section 3, the user's server), routing it on.
	Outbound(c Context, a Account, st *xmlnode.Element, contact jid.JID)
	// Inbound handles a subscription stanza from the bare JID from to a
	// (the contact's server).
	Inbound(c Context, a Account, st *xmlnode.Element, from jid.JID)
}

// Flag is a mark a module sets on accounts that it must see every stanza
// for. The router delivers a component's broadcast (a MUC groupchat
// message or presence sent with RouteTo) straight to an unflagged
// account's session without running a hook: XEP-0191 blocking flags the
// accounts whose blocklist is not empty. Flags are process-wide, made
// once per package with NewFlag; at most 64.
type Flag uint8

var flags atomic.Int32

// NewFlag returns a new Flag; call it at package initialisation.
func NewFlag() Flag {
	n := flags.Add(1)
	if n > 64 {
		panic("module: more than 64 flags")
	}
	return Flag(n - 1)
}

// Request is an iq request for an IQ handler, with the Context to answer
// it through.
type Request struct {
	Context
	// Stanza is the iq, Payload its one child.
	Stanza, Payload *xmlnode.Element
	// Account is the addressed account (nil for the server's domain).
	Account Account
	// Session is the sender's session when it is a local bound session.
	Session Session
	// From is the sender's parsed "from".
	From jid.JID
	// Self: the sender is Account's owner.
	Self bool
	// Prepared is what the handler's IQ.Prepare returned for Payload,
	// before the lock was taken; nil when it did not run.
	Prepared any
}

// Result builds the empty result for the request (RFC 6120 section 8.2.3),
// to add a payload to before Reply.
func (q *Request) Result() *xmlnode.Element {
	r := xmlnode.New(stanzaerr.NSClient, "iq")
	if v := q.Stanza.Attrib("to"); v != "" {
		r.SetAttr("from", v)
	}
	r.SetAttr("id", q.Stanza.Attrib("id"))
	r.SetAttr("to", q.Stanza.Attrib("from"))
	r.SetAttr("type", "result")
	return r
}

// Reply routes r (usually from Result) to the requester.
func (q *Request) Reply(r *xmlnode.Element) { q.Route(r) }

// ReplyLater routes build's reply to the requester once the router's
// lock is released (Context.RouteLater, with the request's iq as the
// stanza a panic in build answers with internal-server-error).
func (q *Request) ReplyLater(build func() *xmlnode.Element) { q.RouteLater(q.Stanza, build) }

// Error answers the request with a stanza error.
func (q *Request) Error(typ stanza.ErrorType, cond stanza.Condition, text string) {
	q.Bounce(q.Stanza, typ, cond, text)
}

// IsGet reports whether the request is a get (otherwise a set).
func (q *Request) IsGet() bool { return q.Stanza.Attrib("type") == "get" }
