package router

import (
	"cmp"
	"encoding/xml"
	"fmt"
	"slices"
	"strings"

	"github.com/muctest/muctest/c2sapi"
	"github.com/muctest/muctest/component"
	"github.com/muctest/muctest/jidcheck"
	"github.com/muctest/muctest/module"
)

// Indices of the iq tables.
const (
	tDomain = iota
	tAccount
	tSelf
	numTargets
)

// tables is the registry compiled at New: sorted slices indexed by small
// ints, read without a lock (they never change after New).
type tables struct {
	// iqs[target][type] is sorted by payload name (Space, then Local).
	iqs      [numTargets][2][]iqRoute
	prepares [2][]prepareRoute                       // by type, sorted by payload name (prepare.go)
	hooks    [module.NumHookKinds][]module.HookEntry // by priority, highest first
	comps    []comp                                  // by domain
	contacts module.Contacts
}

type iqRoute struct {
	name   xml.Name
	module string
	handle func(*module.Request)
}

type comp struct {
	domain string
	h      component.Handler
}

func cmpName(a, b xml.Name) int {
	if c := strings.Compare(a.Space, b.Space); c != 0 {
		return c
	}
	return strings.Compare(a.Local, b.Local)
}

func (r *Router) compile(reg *module.Registrar) error {
	t := &r.tables
	// Each table is sorted once (stably, so that a duplicate's two modules
	// are named in registration order), as indices into the registrations,
	// then filled in order: inserting each route in place cost a copy and
	// often an allocation per route, and sorting the routes themselves a
	// write barrier per move.
	iqs := reg.IQs()
	targets := [numTargets]module.Target{module.ToDomain, module.ToAccount, module.ToSelf}
	types := [2]module.IQType{module.Get, module.Set}
	idx := make([]int32, 0, len(iqs))
	for ti, bit := range targets {
		for ty, tbit := range types {
			idx = idx[:0]
			for i, e := range iqs {
				if e.To&bit != 0 && e.Type&tbit != 0 {
					idx = append(idx, int32(i))
				}
			}
			slices.SortStableFunc(idx, func(a, b int32) int { return cmpName(iqs[a].Payload, iqs[b].Payload) })
			list := make([]iqRoute, len(idx))
			for k, i := range idx {
				e := &iqs[i]
				if k > 0 && cmpName(list[k-1].name, e.Payload) == 0 {
					return fmt.Errorf("modules %s and %s both handle %s iqs for {%s}%s on target %d",
						list[k-1].module, e.Module, [2]string{"get", "set"}[ty], e.Payload.Space, e.Payload.Local, ti)
				}
				list[k] = iqRoute{name: e.Payload, module: e.Module, handle: e.Handle}
			}
			t.iqs[ti][ty] = list
		}
	}
	if err := t.compilePrepares(reg); err != nil {
		return err
	}
	var nh [module.NumHookKinds]int
	for _, h := range reg.Hooks() {
		nh[h.Kind]++
	}
	for k := range t.hooks {
		t.hooks[k] = make([]module.HookEntry, 0, nh[k])
	}
	for _, h := range reg.Hooks() {
		t.hooks[h.Kind] = append(t.hooks[h.Kind], h)
	}
	for k := range t.hooks {
		slices.SortStableFunc(t.hooks[k], func(a, b module.HookEntry) int { return cmp.Compare(b.Priority, a.Priority) })
	}
	for _, c := range reg.Components() {
		d := strings.ToLower(c.Domain)
		if _, err := jidcheck.NewFast("", d, ""); err != nil || d == r.domain || c.Handler == nil {
			return fmt.Errorf("bad component domain %q", c.Domain)
		}
		i, found := slices.BinarySearchFunc(t.comps, d, func(x comp, d string) int { return strings.Compare(x.domain, d) })
		if found {
			return fmt.Errorf("two components at %s", d)
		}
		t.comps = slices.Insert(t.comps, i, comp{d, c.Handler})
	}
	t.contacts = reg.ContactsProvider()
	type elementKey struct {
		name  xml.Name
		stage c2sapi.Stage
	}
	seenEl := map[elementKey]bool{}
	for _, e := range reg.StreamElements() {
		k := elementKey{e.Name, e.Stage}
		if seenEl[k] || e.Handle == nil {
			return fmt.Errorf("stream element {%s}%s registered twice or without a handler", e.Name.Space, e.Name.Local)
		}
		seenEl[k] = true
	}
	seenBind2 := map[xml.Name]bool{}
	for _, f := range reg.Bind2Features() {
		if seenBind2[f.Name] || f.Handle == nil {
			return fmt.Errorf("bind2 feature {%s}%s registered twice or without a handler", f.Name.Space, f.Name.Local)
		}
		seenBind2[f.Name] = true
	}
	seenSASL2 := map[xml.Name]bool{}
	for _, f := range reg.SASL2Features() {
		if seenSASL2[f.Name] || f.Handle == nil {
			return fmt.Errorf("sasl2 feature {%s}%s registered twice or without a handler", f.Name.Space, f.Name.Local)
		}
		seenSASL2[f.Name] = true
	}
	return nil
}

// iqHandler finds the handler for a request to target of type typ ("get"
// or "set") with payload name n: an exact name first, then its namespace.
func (t *tables) iqHandler(target int, typ string, n xml.Name) *iqRoute {
	ty := 0
	if typ == "set" {
		ty = 1
	}
	list := t.iqs[target][ty]
	if len(list) == 0 {
		return nil
	}
	find := func(n xml.Name) *iqRoute {
		i, found := slices.BinarySearchFunc(list, n, func(x iqRoute, n xml.Name) int { return cmpName(x.name, n) })
		if found {
			return &list[i]
		}
		return nil
	}
	if h := find(n); h != nil {
		return h
	}
	return find(xml.Name{Space: n.Space})
}

// component returns the component mounted at domain, or nil.
func (t *tables) component(domain string) component.Handler {
	for i := range t.comps {
		if t.comps[i].domain == domain {
			return t.comps[i].h
		}
	}
	return nil
}
