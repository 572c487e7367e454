// Package private is XEP-0049 Private XML Storage: an account's owner
// keeps one element per namespace and name on the server, readable and
// writable by the owner only. A get returns what is stored, or the empty
// element asked for.
package private

import (
	"encoding/xml"

	"mellium.im/xmpp/stanza"

	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/xmlnode"
)

// NS is XEP-0049's namespace.
const NS = "jabber:iq:private"

// store is an account's private elements, by name.
type store struct{ m map[xml.Name]*xmlnode.Element }

// Size implements module.Sizer: the stored elements' encoded length.
func (s *store) Size() int {
	n := 0
	for _, el := range s.m {
		n += len(el.AppendTo(nil, ""))
	}
	return n
}

var stores = module.NewAccountState[store]("private")

// Module serves private storage.
type Module struct{}

// Name implements module.Module.
func (Module) Name() string { return "private" }

// Register implements module.Module.
func (Module) Register(r *module.Registrar) error {
	r.IQ(module.IQ{To: module.ToAccount, Type: module.Get | module.Set, Payload: xml.Name{Space: NS, Local: "query"},
		Disco: module.OnServer, Handle: handle})
	return nil
}

func handle(q *module.Request) {
	if !q.Self {
		q.Error(stanza.Cancel, stanza.Forbidden, "")
		return
	}
	items := q.Payload.Elements()
	if len(items) == 0 {
		q.Error(stanza.Modify, stanza.BadRequest, "")
		return
	}
	for _, it := range items {
		// XEP-0049 section 3: not in no namespace, nor jabber:client, nor
		// the protocol's own.
		if it.Name.Space == "" || it.Name.Space == "jabber:client" || it.Name.Space == NS {
			q.Error(stanza.Modify, stanza.NotAcceptable, "")
			return
		}
	}
	res := q.Result()
	if q.IsGet() {
		rq := res.AddChild(NS, "query")
		s := stores.Get(q.Account)
		for _, it := range items {
			if s != nil && s.m[it.Name] != nil {
				rq.Append(s.m[it.Name].Copy())
			} else {
				rq.Append(xmlnode.New(it.Name.Space, it.Name.Local))
			}
		}
	} else {
		s := stores.Use(q.Account)
		if s.m == nil {
			s.m = map[xml.Name]*xmlnode.Element{}
		}
		for _, it := range items {
			s.m[it.Name] = it.Copy()
		}
	}
	q.Reply(res)
}
