package c2sapi

import (
	"encoding/xml"

	"github.com/muctest/muctest/xmlnode"
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
