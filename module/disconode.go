package module

import (
	"fmt"

	"github.com/muctest/muctest/xmlnode"
)

// DiscoNode is an XEP-0030 node (sections 3.2 and 4.2) that a module
// answers on the server or on accounts: the XEP-0050 command list and its
// commands, for instance. mod/disco finds it by Node and calls Info or
// Items to fill the query of its result; a nil function, or one that
// returns false, means the node has no such answer for this requester
// (item-not-found), so that a node the asker may not use is not revealed.
type DiscoNode struct {
	Where Where
	Node  string
	Info  func(q *Request, query *xmlnode.Element) bool
	Items func(q *Request, query *xmlnode.Element) bool
}

// DiscoNode registers n; a second registration for the same node and
// place is an error from New.
func (r *Registrar) DiscoNode(n DiscoNode) {
	for _, o := range r.discoNodes {
		if o.Node == n.Node && o.Where&n.Where != 0 {
			r.fail(fmt.Errorf("disco node %q registered twice", n.Node))
			return
		}
	}
	r.discoNodes = append(r.discoNodes, n)
}

// DiscoNodes returns the registered disco nodes, for mod/disco.
func (r *Registrar) DiscoNodes() []DiscoNode { return r.discoNodes }
