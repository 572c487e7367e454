// Package session is RFC 3921 section 3's session establishment, which RFC
// 6121 dropped: old clients still send <session/> after binding, so the
// server offers it as optional (RFC 6121 Appendix E, as Prosody does) and
// answers it with an empty result.
package session

import (
	"encoding/xml"

	"github.com/muctest/muctest/c2sapi"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/xmlnode"
)

// NS is the session establishment namespace.
const NS = "urn:ietf:params:xml:ns:xmpp-session"

// Module offers and answers session establishment.
type Module struct{}

// Name implements module.Module.
func (Module) Name() string { return "session" }

// Register implements module.Module.
func (Module) Register(r *module.Registrar) error {
	r.StreamFeature(module.StreamFeature{Offer: func(c2sapi.Session) *xmlnode.Element {
		f := xmlnode.New(NS, "session")
		f.AddChild(NS, "optional")
		return f
	}})
	r.IQ(module.IQ{
		To:      module.ToDomain | module.ToSelf,
		Type:    module.Set,
		Payload: xml.Name{Space: NS, Local: "session"},
		Handle:  func(q *module.Request) { q.Reply(q.Result()) },
	})
	return nil
}
