// Package disco is XEP-0030 Service Discovery on the server's domain and on
// accounts. Nothing is listed by hand: the identities and features are the
// ones every module registered (module.Registrar.Feature and the Disco
// field of its IQ handlers), and the server's items are its components.
// An account answers its owner and the contacts subscribed to its
// presence; anyone else gets service-unavailable, as Prosody does, which
// does not reveal the account. Nodes: there are none, so a query for one
// is item-not-found (XEP-0030 sections 3.1 and 4.1).
package disco

import (
	"encoding/xml"

	"mellium.im/xmpp/stanza"

	"github.com/muctest/muctest/module"
)

// The XEP-0030 namespaces.
const (
	NSInfo  = "http://jabber.org/protocol/disco#info"
	NSItems = "http://jabber.org/protocol/disco#items"
)

// Module answers disco#info and disco#items. ServerName is the name of the
// server's server/im identity.
type Module struct {
	ServerName string
}

// Name implements module.Module.
func (Module) Name() string { return "disco" }

// Register implements module.Module.
func (m Module) Register(r *module.Registrar) error {
	r.Identity(module.OnServer, module.Identity{Category: "server", Type: "im", Name: m.ServerName})
	r.Identity(module.OnAccount, module.Identity{Category: "account", Type: "registered"})
	both := module.ToDomain | module.ToAccount
	r.IQ(module.IQ{To: both, Type: module.Get, Payload: xml.Name{Space: NSInfo, Local: "query"},
		Disco: module.OnServer | module.OnAccount, Handle: func(q *module.Request) { info(r, q) }})
	r.IQ(module.IQ{To: both, Type: module.Get, Payload: xml.Name{Space: NSItems, Local: "query"},
		Disco: module.OnServer | module.OnAccount, Handle: func(q *module.Request) { items(r, q) }})
	return nil
}

// allowed answers the errors common to both queries; it reports whether
// the query may be answered.
func allowed(q *module.Request) bool {
	if q.Payload.Attrib("node") != "" {
		q.Error(stanza.Cancel, stanza.ItemNotFound, "Node does not exist")
		return false
	}
	if q.Account != nil && !q.MaySeePresence(q.Account, q.From) {
		q.Error(stanza.Cancel, stanza.ServiceUnavailable, "")
		return false
	}
	return true
}

func info(r *module.Registrar, q *module.Request) {
	if !allowed(q) {
		return
	}
	where := module.OnServer
	if q.Account != nil {
		where = module.OnAccount
	}
	res := q.Result()
	p := res.AddChild(NSInfo, "query")
	for _, id := range r.Identities() {
		if id.Where&where != 0 {
			e := p.AddChild(NSInfo, "identity", "category", id.Category, "type", id.Type)
			if id.Name != "" {
				e.SetAttr("name", id.Name)
			}
		}
	}
	for _, f := range r.Features() {
		if f.Where&where != 0 {
			p.AddChild(NSInfo, "feature", "var", f.Var)
		}
	}
	for _, x := range r.InfoExtensions() {
		if x.Where&where != 0 {
			p.Append(x.Form.Copy())
		}
	}
	q.Reply(res)
}

func items(r *module.Registrar, q *module.Request) {
	if !allowed(q) {
		return
	}
	res := q.Result()
	p := res.AddChild(NSItems, "query")
	if q.Account == nil {
		for _, c := range r.Components() {
			p.AddChild(NSItems, "item", "jid", c.Domain)
		}
	}
	q.Reply(res)
}
