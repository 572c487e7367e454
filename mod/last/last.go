// Package last is XEP-0012 Last Activity as Prosody's mod_lastactivity
// serves it: the server's domain answers with its uptime; an account
// answers its owner and the contacts subscribed to its presence with the
// seconds since its last unavailable broadcast (0 if none) and that
// presence's status; anyone else gets forbidden.
package last

import (
	"encoding/xml"
	"strconv"
	"time"

	"mellium.im/xmpp/stanza"

	"github.com/muctest/muctest/module"
)

// NS is XEP-0012's namespace.
const NS = "jabber:iq:last"

// gone is an account's last unavailable broadcast.
type gone struct {
	at     time.Time
	status string
}

// Size implements module.Sizer.
func (g *gone) Size() int { return 24 + len(g.status) }

var lastGone = module.NewAccountState[gone]("last")

// Module serves last activity. Now, when set, replaces time.Now (tests).
type Module struct {
	Now func() time.Time
}

// Name implements module.Module.
func (Module) Name() string { return "last" }

// Register implements module.Module.
func (m Module) Register(r *module.Registrar) error {
	now := m.Now
	if now == nil {
		now = time.Now
	}
	started := now()
	name := xml.Name{Space: NS, Local: "query"}
	r.IQ(module.IQ{To: module.ToDomain, Type: module.Get, Payload: name, Disco: module.OnServer,
		Handle: func(q *module.Request) {
			res := q.Result()
			res.AddChild(NS, "query", "seconds", strconv.Itoa(int(now().Sub(started).Seconds())))
			q.Reply(res)
		}})
	r.IQ(module.IQ{To: module.ToAccount, Type: module.Get, Payload: name,
		Handle: func(q *module.Request) {
			if !q.MaySeePresence(q.Account, q.From) {
				q.Error(stanza.Auth, stanza.Forbidden, "")
				return
			}
			seconds, status := 0, ""
			if g := lastGone.Get(q.Account); g != nil {
				seconds, status = int(now().Sub(g.at).Seconds()), g.status
			}
			res := q.Result()
			res.AddChild(NS, "query", "seconds", strconv.Itoa(seconds)).SetText(status)
			q.Reply(res)
		}})
	r.OnPresenceSent(module.After, func(_ module.Context, ev *module.Sent) bool {
		if ev.To.Domainpart() == "" && ev.Stanza.Attrib("type") == "unavailable" {
			g := lastGone.Use(ev.Session.Account())
			g.at, g.status = now(), ev.Stanza.ChildText("jabber:client", "status")
		}
		return false
	})
	return nil
}
