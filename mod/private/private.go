// Package private is XEP-0049 Private XML Storage: an account's owner
// keeps one element per namespace and name on the server, readable and
// writable by the owner only. A get returns what is stored, or the empty
// element asked for.
package private

import (
	"encoding/xml"

	"mellium.im/xmpp/stanza"

	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/quota"
	"github.com/muctest/muctest/xmlnode"
)

// NS is XEP-0049's namespace.
const NS = "jabber:iq:private"

// store is an account's private elements, by name, in their wire form
// (as String writes them), with their sizes. The wire form is what the
// quotas count and what the store costs; as trees the elements would cost
// up to 24 times as much (many tiny elements), for as long as the account
// exists. An element is parsed when it is got.
type store struct {
	m     map[xml.Name]string
	sizes map[xml.Name]int
	bytes int
}

// has reports whether an element is stored under name.
func (s *store) has(name xml.Name) bool {
	if s == nil {
		return false
	}
	_, ok := s.m[name]
	return ok
}

// wire returns the wire form of the element stored under name, or "".
// The string is immutable: a get hands it to its reply's build, which
// parses it after the router's lock is released.
func (s *store) wire(name xml.Name) string {
	if s == nil {
		return ""
	}
	return s.m[name]
}

// parse returns a stored element's wire form as a tree of the caller's
// own, or nil for "".
func parse(wire string) *xmlnode.Element {
	if wire == "" {
		return nil
	}
	el, err := xmlnode.Parse(wire)
	if err != nil {
		// What String wrote parses back (xmlnode's round trip
		// property): not reached, and read as nothing stored.
		return nil
	}
	return el
}

// Size implements module.Sizer: the stored elements' encoded length.
func (s *store) Size() int { return s.bytes }

var stores = module.NewAccountState[store]("private")

// Module serves private storage within Limits (quota.Limits, defaults when
// zero): PrivateItemBytes per element (not-acceptable), PrivateItems and
// PrivateBytes per account and the account's AccountBytes
// (resource-constraint, wait). A refused set changes nothing.
type Module struct{ Limits quota.Limits }

// Name implements module.Module.
func (Module) Name() string { return "private" }

// Register implements module.Module.
func (m Module) Register(r *module.Registrar) error {
	lim := m.Limits.WithDefaults()
	r.Share(limitsKey{}, lim)
	r.IQ(module.IQ{To: module.ToAccount, Type: module.Get | module.Set, Payload: xml.Name{Space: NS, Local: "query"},
		Disco: module.OnServer, Handle: func(q *module.Request) { handle(q, lim) }})
	return nil
}

func handle(q *module.Request, lim quota.Limits) {
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
	if q.IsGet() {
		get(q, items)
		return
	}
	if set(q, items, lim) {
		q.Reply(q.Result())
	}
}

// get answers a get: with the lock held it only looks the wire forms up;
// they are parsed into the reply after the lock is released (ReplyLater),
// as parsing a large element would hold every other stanza up (issue 11:
// ~11 ms for an element at its quota).
func get(q *module.Request, items []*xmlnode.Element) {
	s := stores.Get(q.Account)
	names := make([]xml.Name, len(items))
	wires := make([]string, len(items))
	for i, it := range items {
		names[i], wires[i] = it.Name, s.wire(it.Name)
	}
	res := q.Result()
	q.ReplyLater(func() *xmlnode.Element {
		rq := res.AddChild(NS, "query")
		for i, name := range names {
			if el := parse(wires[i]); el != nil {
				rq.Append(el)
			} else {
				rq.Append(xmlnode.New(name.Space, name.Local))
			}
		}
		return res
	})
}

// set stores items when the whole set fits the quotas, or answers the
// refusal and stores nothing.
func set(q *module.Request, items []*xmlnode.Element, lim quota.Limits) bool {
	s := stores.Get(q.Account)
	count, bytes := 0, 0
	if s != nil {
		count, bytes = len(s.m), s.bytes
	}
	sizes := make([]int, len(items))
	grow := 0
	for i, it := range items {
		sizes[i] = len(it.AppendTo(nil, ""))
		if !quota.Within(lim.PrivateItemBytes, 0, sizes[i]) {
			q.Error(quota.TooLargeType, quota.TooLarge, "Private XML element too large")
			return false
		}
		grow += sizes[i]
		if s.has(it.Name) {
			grow -= s.sizes[it.Name]
		} else {
			count++
		}
	}
	if !quota.Within(lim.PrivateItems, count, 0) || !quota.Within(lim.PrivateBytes, bytes, grow) ||
		!quota.Budget(q.Account, lim.AccountBytes, grow) {
		q.Error(quota.FullType, quota.Full, "Private XML storage is full")
		return false
	}
	s = stores.Use(q.Account)
	if s.m == nil {
		s.m, s.sizes = map[xml.Name]string{}, map[xml.Name]int{}
	}
	for i, it := range items {
		s.bytes += sizes[i] - s.sizes[it.Name]
		s.m[it.Name] = it.String()
		s.sizes[it.Name] = sizes[i]
	}
	return true
}
