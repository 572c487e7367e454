package c2sapi

import (
	"encoding/xml"

	"github.com/muctest/muctest/xmlnode"
)

// Namespaces of XEP-0388 and XEP-0386, here so that modules (XEP-0198's
// inline resumption answers inside SASL2's <success/>) name them without
// importing c2s.
const (
	NSSASL2 = "urn:xmpp:sasl:2"
	NSBind2 = "urn:xmpp:bind:0"
)

// Bind2Feature is a feature a client may ask for inside XEP-0386's
// <bind/>, when it binds as part of a XEP-0388 SASL2 authentication:
// XEP-0198's <enable/>, XEP-0280's carbons. The server offers it in
// <bind><inline>, and runs it as the session is bound.
type Bind2Feature struct {
	// Var is advertised as <feature var='...'/>.
	Var string
	// Name is the request element inside the client's <bind/>.
	Name xml.Name
	// Handle runs once the session is bound, before its <success/> is
	// queued, with the router's lock held: nothing is delivered to the
	// session in between, so it must only change the session's state
	// (never call Stream.Do, never block). s is the client stream, h the
	// router's session (module.StreamOf finds the module.Stream), el the
	// request. What it returns, if not nil, goes inside <bound/>.
	Handle func(s Session, h Handler, el *xmlnode.Element) *xmlnode.Element
}

// SASL2Feature is a request a client may make inline in XEP-0388's
// <authenticate/>, answered inside the <success/>: XEP-0198's <resume/>.
type SASL2Feature struct {
	// Offer returns the element advertised in <authentication><inline>
	// (nil: none).
	Offer func(s Session) *xmlnode.Element
	// Name is the request element inside <authenticate/>.
	Name xml.Name
	// Handle runs in the session's goroutine once the exchange has
	// succeeded, before any Bind2 request, with no lock held. It either
	// adds its answer to success and returns false (the login goes on:
	// Bind2, or the features), or sends success itself, with its answer
	// in it, and returns true when it has made the session a bound one
	// (resumption: Session.Adopt). A non-nil error ends the stream.
	Handle func(s Session, el, success *xmlnode.Element) (bound bool, err error)
}
