package router_test

import (
	"strings"
	"testing"

	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/moduletest"
	"github.com/muctest/muctest/xmlnode"
)

// prepareModule answers {urn:test:prep}q gets with what its Prepare
// returned ("none" when the handler got nothing), and its Prepare takes
// the router's lock itself (Registrar.Locked), which would deadlock were
// the lock held while it runs.
func prepareModule(name string, ran *int) module.Module {
	return module.New(name, func(r *module.Registrar) error {
		locked := r.Locked()
		r.IQ(module.IQ{To: module.ToAccount | module.ToDomain, Type: module.Get, Payload: xmlName("urn:test:prep", "q"),
			Prepare: func(p *xmlnode.Element) any {
				*ran++
				locked(func(module.Context) {}) // no lock held here
				if p.Attrib("panic") != "" {
					panic("prepare")
				}
				return strings.ToUpper(p.Attrib("v"))
			},
			Handle: func(q *module.Request) {
				got, _ := q.Prepared.(string)
				if q.Prepared == nil {
					got = "none"
				}
				res := q.Result()
				res.AddChild("urn:test:prep", "q", "v", got)
				q.Reply(res)
			}})
		return nil
	})
}

// TestPrepare: an IQ.Prepare runs before the router's lock for a request a
// session sends, and its result reaches that request's handler (to the
// server, to the sender's own account); a request that does not reach the
// handler as the same payload gets nothing, and a Prepare that panics
// leaves the handler to answer without it.
func TestPrepare(t *testing.T) {
	ran := 0
	s := moduletest.New(t, prepareModule("prep", &ran))
	a := s.Login("alice@localhost/a")
	for _, to := range []string{"localhost", "alice@localhost", ""} {
		a.Send(`<iq type="get" id="1" to="` + to + `"><q xmlns="urn:test:prep" v="abc"/></iq>`)
		a.Expect(`<iq type="result" id="1"><q xmlns="urn:test:prep" v="ABC"/></iq>`)
	}
	a.Send(`<iq type="get" id="2" to="localhost"><q xmlns="urn:test:prep" v="abc" panic="1"/></iq>`)
	a.Expect(`<iq type="result" id="2"><q xmlns="urn:test:prep" v="none"/></iq>`)
	if ran != 4 {
		t.Errorf("Prepare ran %d times, want 4", ran)
	}
	// A result is never prepared, nor an iq of two children.
	a.Send(`<iq type="set" id="3" to="localhost"><q xmlns="urn:test:prep"/></iq>`)
	a.Received()
	if ran != 4 {
		t.Errorf("Prepare ran for a set it is not registered for")
	}
}

// TestPrepareTwice: two modules preparing the same request (for different
// targets, so that their handlers do not clash) is an error at New.
func TestPrepareTwice(t *testing.T) {
	mk := func(name string, to module.Target) module.Module {
		return module.New(name, func(r *module.Registrar) error {
			r.IQ(module.IQ{To: to, Type: module.Get, Payload: xmlName("urn:test:prep", "q"),
				Prepare: func(*xmlnode.Element) any { return nil }, Handle: func(*module.Request) {}})
			return nil
		})
	}
	if _, err := newRouter(mk("one", module.ToSelf), mk("two", module.ToAccount)); err == nil || !strings.Contains(err.Error(), "prepare") {
		t.Fatalf("two modules preparing one iq: %v, want an error", err)
	}
	if _, err := newRouter(mk("one", module.ToSelf|module.ToAccount)); err != nil {
		t.Fatalf("one module preparing one iq for two targets: %v", err)
	}
}
