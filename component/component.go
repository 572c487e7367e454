// Package component defines the seam between the server's router and the
// services mounted on their own domain, such as the MUC service at
// conference.<domain> (XEP-0045) — the in-process equivalent of an XEP-0114
// external component.
//
// Both sides speak in *xmlnode.Element stanzas whose "from" and "to" are
// already checked and stamped: the router never hands a component a stanza
// whose "from" the client chose, and a component addresses its replies
// itself. Keeping the seam to two one-method interfaces lets the MUC service
// be unit-tested without a server, and lets the server mount other services
// later without knowing what they are. One optional method, RouteTo (see
// AddressedRouter), lets a router deliver one stanza to many recipients
// without a copy each, the hot path of a MUC broadcast; RouteTo the
// function falls back to Route for routers without it.
package component

import "github.com/muctest/muctest/xmlnode"

// Handler receives every stanza addressed to the component's domain or to a
// JID under it. HandleStanza is called from the goroutine of the session that
// sent the stanza, possibly concurrently for different sessions, so
// implementations do their own locking. It must not block on the network:
// stanzas it sends go through a Router, which queues them.
type Handler interface {
	HandleStanza(st *xmlnode.Element)
}

// HandlerFunc adapts a function to Handler, for tests and small services.
type HandlerFunc func(st *xmlnode.Element)

// HandleStanza calls f(st).
func (f HandlerFunc) HandleStanza(st *xmlnode.Element) { f(st) }

// Router delivers a stanza from a component to its "to" address (a local
// user's bare or full JID, or another component). It never blocks on a
// socket: delivery to a session is a queue append, so a component may call it
// while holding its own locks. The router takes ownership of st.
type Router interface {
	Route(st *xmlnode.Element)
}

// RouterFunc adapts a function to Router, for tests and for wiring.
type RouterFunc func(st *xmlnode.Element)

// Route calls f(st).
func (f RouterFunc) Route(st *xmlnode.Element) { f(st) }

// AddressedRouter is what a Router may also implement to deliver one stanza
// to many recipients without a copy per recipient: RouteTo delivers st
// exactly as Route would deliver a copy of st whose "to" attribute is to
// (same checks, same rules, same bytes on the wire). A MUC broadcast to a
// hundred occupants then builds nothing per occupant on the way to their
// sessions; the router builds an addressed copy only where it keeps,
// bounces or forwards the stanza (offline storage, errors, carbons).
//
// Unlike Route, RouteTo does not take ownership of st: the router must not
// change st or keep it after RouteTo returns, so the caller may route the
// same st again, to someone else, or change its top-level attributes
// between calls. st's children must not change (as for any stanza whose
// children are shared between copies, see xmlnode.Element.ShallowCopy).
type AddressedRouter interface {
	Router
	RouteTo(st *xmlnode.Element, to string)
}

// RouteTo delivers st to "to" through r: with r's RouteTo when r is an
// AddressedRouter, otherwise by routing a shallow copy of st addressed to
// to (what every Router understands). The caller keeps ownership of st, as
// with AddressedRouter.RouteTo.
func RouteTo(r Router, st *xmlnode.Element, to string) {
	if ar, ok := r.(AddressedRouter); ok {
		ar.RouteTo(st, to)
		return
	}
	r.Route(st.ShallowCopy().SetAttr("to", to))
}
