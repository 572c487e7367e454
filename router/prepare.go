package router

import (
	"encoding/xml"
	"fmt"
	"slices"

	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/xmlnode"
)

// This file runs the IQ.Prepare functions modules register: the work of a
// request that depends on the payload alone (XEP-0191's block request
// parses and normalises every JID it names) is done in the sender's
// goroutine before the router takes its lock, so that no single stanza
// holds the lock for long (issue 11).

// prepareRoute is one registered Prepare, by iq type and payload name.
type prepareRoute struct {
	name    xml.Name
	module  string
	prepare func(*xmlnode.Element) any
}

// prepared is what a txn carries from prepareRequest to the handler.
type prepared struct {
	payload *xmlnode.Element
	module  string
	v       any
}

// compilePrepares builds tables.prepares from the registrations with a
// Prepare; two for the same type and name are an error.
func (t *tables) compilePrepares(reg *module.Registrar) error {
	for _, e := range reg.IQs() {
		if e.Prepare == nil {
			continue
		}
		for ty, tbit := range [2]module.IQType{module.Get, module.Set} {
			if e.Type&tbit == 0 {
				continue
			}
			list := t.prepares[ty]
			i, found := slices.BinarySearchFunc(list, e.Payload, func(x prepareRoute, n xml.Name) int { return cmpName(x.name, n) })
			if found {
				if list[i].module == e.Module {
					continue // the same module for another target
				}
				return fmt.Errorf("modules %s and %s both prepare %s iqs for {%s}%s",
					list[i].module, e.Module, [2]string{"get", "set"}[ty], e.Payload.Space, e.Payload.Local)
			}
			t.prepares[ty] = slices.Insert(list, i, prepareRoute{e.Payload, e.Module, e.Prepare})
		}
	}
	return nil
}

// prepareRequest runs the Prepare registered for st's payload, when st is
// an iq get or set with one child and one is registered for it (an exact
// name first, then its namespace, as iqHandler looks), and keeps the
// result in tx for the handler of the same module. No lock is held; the
// tables never change after New.
func (r *Router) prepareRequest(tx *txn, st *xmlnode.Element) {
	if st.Name.Local != "iq" {
		return
	}
	ty := 0
	switch st.Attrib("type") {
	case "get":
	case "set":
		ty = 1
	default:
		return
	}
	list := r.tables.prepares[ty]
	if len(list) == 0 {
		return
	}
	els := st.Elements()
	if len(els) != 1 {
		return
	}
	payload := els[0]
	find := func(n xml.Name) *prepareRoute {
		if i, ok := slices.BinarySearchFunc(list, n, func(x prepareRoute, n xml.Name) int { return cmpName(x.name, n) }); ok {
			return &list[i]
		}
		return nil
	}
	p := find(payload.Name)
	if p == nil {
		p = find(xml.Name{Space: payload.Name.Space})
	}
	if p == nil {
		return
	}
	tx.prepared = prepared{payload: payload, module: p.module, v: r.runPrepare(p, payload)}
}

// runPrepare calls p, recovering a panic as the handlers' are (the handler
// then runs without a prepared value and answers for itself).
func (r *Router) runPrepare(p *prepareRoute, payload *xmlnode.Element) (v any) {
	defer func() {
		if e := recover(); e != nil {
			r.logPanic(e, "prepare", "module", p.module)
			v = nil
		}
	}()
	return p.prepare(payload)
}

// preparedFor returns what was prepared for payload by module, or nil.
func (tx *txn) preparedFor(payload *xmlnode.Element, module string) any {
	if p := &tx.prepared; p.payload == payload && p.module == module {
		return p.v
	}
	return nil
}
