package module

import "github.com/muctest/muctest/xmlnode"

// DiscoItems is what a module adds to XEP-0030 service discovery beyond
// features and identities: items listed on the server or an account, and
// the answers for the nodes it owns (XEP-0163 PEP lists an account's nodes
// and describes each). mod/disco asks every one registered.
type DiscoItems struct {
	Where Where
	// Items returns the <item/>s (disco#items namespace) to list for q,
	// a query without a node; nil when the module has none for it.
	Items func(q *Request) []*xmlnode.Element
	// Node answers a query on node (info: disco#info, else disco#items):
	// the children of the reply's <query/>, or a stanza error (an error
	// reply built for q.Stanza) to send instead; ok is false when the
	// module knows no such node, and the next one is asked.
	Node func(q *Request, node string, info bool) (children []*xmlnode.Element, errReply *xmlnode.Element, ok bool)
}

// Disco registers d.
func (r *Registrar) Disco(d DiscoItems) { r.disco = append(r.disco, d) }

// DiscoProviders returns the registered DiscoItems, in registration order.
func (r *Registrar) DiscoProviders() []DiscoItems { return r.disco }
