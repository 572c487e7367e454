// Package ping is XEP-0199 XMPP Ping: the server answers a ping to its
// domain and to any account's bare JID (with or without "to") with an
// empty result, so that a client can test its stream and the server.
package ping

import (
	"encoding/xml"

	"github.com/muctest/muctest/module"
)

// NS is XEP-0199's namespace.
const NS = "urn:xmpp:ping"

// Module answers pings; register it with the server (its Name is "ping").
type Module struct{}

// Name implements module.Module.
func (Module) Name() string { return "ping" }

// Register implements module.Module.
func (Module) Register(r *module.Registrar) error {
	r.IQ(module.IQ{
		To:      module.ToDomain | module.ToAccount,
		Type:    module.Get,
		Payload: xml.Name{Space: NS, Local: "ping"},
		Disco:   module.OnServer | module.OnAccount,
		Handle:  func(q *module.Request) { q.Reply(q.Result()) },
	})
	return nil
}
