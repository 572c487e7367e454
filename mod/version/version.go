// Package version is XEP-0092 Software Version: the server's domain
// answers jabber:iq:version with the server's name and version (no OS, as
// the XEP allows and Prosody's default does).
package version

import (
	"encoding/xml"

	"github.com/muctest/muctest/module"
)

// NS is XEP-0092's namespace.
const NS = "jabber:iq:version"

// Module answers version queries with Software and Version.
type Module struct {
	Software, Version string
}

// Name implements module.Module.
func (Module) Name() string { return "version" }

// Register implements module.Module.
func (m Module) Register(r *module.Registrar) error {
	r.IQ(module.IQ{
		To:      module.ToDomain,
		Type:    module.Get,
		Payload: xml.Name{Space: NS, Local: "query"},
		Disco:   module.OnServer,
		Handle: func(q *module.Request) {
			res := q.Result()
			p := res.AddChild(NS, "query")
			p.AddChild(NS, "name").SetText(m.Software)
			p.AddChild(NS, "version").SetText(m.Version)
			q.Reply(res)
		},
	})
	return nil
}
