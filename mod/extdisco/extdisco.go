// Package extdisco mounts XEP-0215 External Service Discovery on the
// server's domain: <services/> lists the configured STUN, TURN and other
// services, <credentials/> gives short-lived TURN REST credentials (package
// extdisco computes them as Prosody's mod_external_services does).
package extdisco

import (
	"encoding/xml"

	"mellium.im/xmpp/stanza"

	"github.com/muctest/muctest/extdisco"
	"github.com/muctest/muctest/module"
)

// Module serves Config; its Name is "extdisco". Only the server's own
// users may ask (credentials are not for strangers).
type Module struct {
	Config extdisco.Config
}

// Name implements module.Module.
func (Module) Name() string { return "extdisco" }

// Register implements module.Module.
func (m Module) Register(r *module.Registrar) error {
	cfg := m.Config
	handle := func(q *module.Request) {
		if q.From.Domainpart() != r.Domain() {
			q.Error(stanza.Auth, stanza.Forbidden, "")
			return
		}
		payload, err := cfg.Answer(q.Payload)
		if err != nil {
			e, _ := err.(*extdisco.Error)
			if e == nil {
				e = &extdisco.Error{Type: "cancel", Condition: "internal-server-error"}
			}
			q.Error(stanza.ErrorType(e.Type), stanza.Condition(e.Condition), "")
			return
		}
		res := q.Result()
		res.Append(payload)
		q.Reply(res)
	}
	r.IQ(module.IQ{To: module.ToDomain, Type: module.Get, Payload: xml.Name{Space: extdisco.NS, Local: "services"}, Disco: module.OnServer, Handle: handle})
	r.IQ(module.IQ{To: module.ToDomain, Type: module.Get, Payload: xml.Name{Space: extdisco.NS, Local: "credentials"}, Handle: handle})
	return nil
}
