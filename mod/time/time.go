// Package time is XEP-0202 Entity Time: the server's domain answers with
// its UTC time and a zero offset (the XEP-0082 profile), as Prosody does.
package time

import (
	"encoding/xml"
	"time"

	"github.com/muctest/muctest/module"
)

// NS is XEP-0202's namespace.
const NS = "urn:xmpp:time"

// Module answers time queries. Now, when set, replaces time.Now (tests).
type Module struct {
	Now func() time.Time
}

// Name implements module.Module.
func (Module) Name() string { return "time" }

// Register implements module.Module.
func (m Module) Register(r *module.Registrar) error {
	now := m.Now
	if now == nil {
		now = time.Now
	}
	r.IQ(module.IQ{
		To:      module.ToDomain,
		Type:    module.Get,
		Payload: xml.Name{Space: NS, Local: "time"},
		Disco:   module.OnServer,
		Handle: func(q *module.Request) {
			res := q.Result()
			t := res.AddChild(NS, "time")
			t.AddChild(NS, "tzo").SetText("+00:00")
			t.AddChild(NS, "utc").SetText(now().UTC().Format("2006-01-02T15:04:05Z"))
			q.Reply(res)
		},
	})
	return nil
}
