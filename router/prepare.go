package router

import (
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

// prepared is what a txn carries from prepareRequest to the handler.
type prepared struct {
	payload *xmlnode.Element
	module  string
	v       any
}

// layPrepares lays out the registrations with a Prepare, by type and
// payload name, keeping the first of a name; two modules preparing the
// same type and name are an error (one module may for several targets).
func (l *layout) layPrepares(iqs []module.IQEntry) error {
	for ty, tbit := range [2]module.IQType{module.Get, module.Set} {
		var idx []int32
		for i, e := range iqs {
			if e.Prepare != nil && e.Type&tbit != 0 {
				idx = append(idx, int32(i))
			}
		}
		slices.SortStableFunc(idx, func(a, b int32) int { return cmpName(iqs[a].Payload, iqs[b].Payload) })
		kept := idx[:0]
		for _, i := range idx {
			if n := len(kept); n > 0 && cmpName(iqs[kept[n-1]].Payload, iqs[i].Payload) == 0 {
				if first := &iqs[kept[n-1]]; first.Module != iqs[i].Module {
					return fmt.Errorf("modules %s and %s both prepare %s iqs for {%s}%s",
						first.Module, iqs[i].Module, [2]string{"get", "set"}[ty], first.Payload.Space, first.Payload.Local)
				}
				continue // the same module for another target
			}
			kept = append(kept, i)
		}
		l.prepares[ty] = kept
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
	p := r.tables.lookup(list, payload.Name)
	if p == nil {
		return
	}
	tx.prepared = prepared{payload: payload, module: p.Module, v: r.runPrepare(p, payload)}
}

// runPrepare calls p, recovering a panic as the handlers' are (the handler
// then runs without a prepared value and answers for itself).
func (r *Router) runPrepare(p *module.IQEntry, payload *xmlnode.Element) (v any) {
	defer func() {
		if e := recover(); e != nil {
			r.logPanic(e, "prepare", "module", p.Module)
			v = nil
		}
	}()
	return p.Prepare(payload)
}

// preparedFor returns what was prepared for payload by module, or nil.
func (tx *txn) preparedFor(payload *xmlnode.Element, module string) any {
	if p := &tx.prepared; p.payload == payload && p.module == module {
		return p.v
	}
	return nil
}
