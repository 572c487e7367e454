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
func allowed(r *module.Registrar, q *module.Request, info bool) bool {
	if q.Account != nil && !q.MaySeePresence(q.Account, q.From) {
		q.Error(stanza.Cancel, stanza.ServiceUnavailable, "")
		return false
	}
	if name := q.Payload.Attrib("node"); name != "" {
		where := whereOf(q)
		for _, d := range r.DiscoProviders() {
			if d.Where&where == 0 || d.Node == nil {
				continue
			}
			kids, errReply, ok := d.Node(q, name, info)
			if !ok {
				continue
			}
			if errReply != nil {
				q.Reply(errReply)
				return false
			}
			ns := NSItems
			if info {
				ns = NSInfo
			}
			res := q.Result()
			p := res.AddChild(ns, "query", "node", name)
			for _, k := range kids {
				p.Append(k)
			}
			q.Reply(res)
			return false
		}
		// Nodes registered with DiscoNode (XEP-0050's command list...);
		// node answers item-not-found for one nobody registered.
		ns := NSItems
		if info {
			ns = NSInfo
		}
		node(r, q, ns, !info)
		return false
	}
	return true
}

// node answers a query for a node (true), from the module that registered
// it, or item-not-found; it reports false for a query without node.
func node(r *module.Registrar, q *module.Request, ns string, items bool) bool {
	name := q.Payload.Attrib("node")
	if name == "" {
		return false
	}
	where := module.OnServer
	if q.Account != nil {
		where = module.OnAccount
	}
	for _, n := range r.DiscoNodes() {
		if n.Node != name || n.Where&where == 0 {
			continue
		}
		f := n.Info
		if items {
			f = n.Items
		}
		res := q.Result()
		p := res.AddChild(ns, "query", "node", name)
		if f != nil && f(q, p) {
			q.Reply(res)
			return true
		}
		break
	}
	q.Error(stanza.Cancel, stanza.ItemNotFound, "Node does not exist")
	return true
}

func whereOf(q *module.Request) module.Where {
	if q.Account != nil {
		return module.OnAccount
	}
	return module.OnServer
}

func info(r *module.Registrar, q *module.Request) {
	if !allowed(r, q, true) {
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
	if !allowed(r, q, false) {
		return
	}
	res := q.Result()
	p := res.AddChild(NSItems, "query")
	if q.Account == nil {
		for _, c := range r.Components() {
			p.AddChild(NSItems, "item", "jid", c.Domain)
		}
	}
	where := whereOf(q)
	for _, d := range r.DiscoProviders() {
		if d.Where&where != 0 && d.Items != nil {
			for _, it := range d.Items(q) {
				p.Append(it)
			}
		}
	}
	q.Reply(res)
}
