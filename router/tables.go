package router

import (
	"cmp"
	"encoding/xml"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"

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
	// entries are the iq registrations, which iqs and prepares index.
	entries []module.IQEntry
	// iqs[target][type] and prepares[type] come from a shared layout.
	iqs      *[numTargets][2][]int32
	prepares *[2][]int32
	hooks    [module.NumHookKinds][]module.HookEntry // by priority, highest first
	comps    []comp                                  // by domain
	contacts module.Contacts
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

// A layout is the part of the compiled registry that depends only on where
// things were registered (targets, types, payload names, modules, hook
// kinds and priorities), not on the handlers: the order of the iq tables,
// checked for duplicates, and of the hooks. Every in-process server of a
// muctest run registers the same modules and so gets the same layout;
// sorting and checking it anew was most of compile's time, so a layout is
// kept (immutable once made) and shared by every router whose
// registrations have its shape.
type layout struct {
	iqKeys   []iqKey
	hookKeys []hookKey
	// iqs[target][type] and prepares[type] are indices into the iq
	// registrations, sorted by payload name (Space, then Local);
	// prepares holds the first of each name among those with a Prepare.
	iqs      [numTargets][2][]int32
	prepares [2][]int32
	// hookOrder holds indices into the hooks, by kind, then by priority
	// (highest first; registration order among equals); the hooks of
	// kind k are hookOrder[hookEnd[k-1]:hookEnd[k]].
	hookOrder []int32
	hookEnd   [module.NumHookKinds]int32
}

// iqKey is what of an iq registration its layout depends on.
type iqKey struct {
	to      module.Target
	typ     module.IQType
	prepare bool
	payload xml.Name
	module  string
}

type hookKey struct {
	kind     module.HookKind
	priority int
}

// recentLayouts are the last few layouts made, newest first, as an
// immutable slice swapped whole: a process makes its routers from one set
// of modules or a few (a test binary's several configurations), and a
// bound keeps one that makes many from holding them all.
var recentLayouts atomic.Pointer[[]*layout]

const keptLayouts = 4

// fits reports whether the registrations have l's shape.
func (l *layout) fits(iqs []module.IQEntry, hooks []module.HookEntry) bool {
	if len(iqs) != len(l.iqKeys) || len(hooks) != len(l.hookKeys) {
		return false
	}
	for i := range iqs {
		e, k := &iqs[i], &l.iqKeys[i]
		if e.To != k.to || e.Type != k.typ || (e.Prepare != nil) != k.prepare || e.Payload != k.payload || e.Module != k.module {
			return false
		}
	}
	for i := range hooks {
		if hooks[i].Kind != l.hookKeys[i].kind || hooks[i].Priority != l.hookKeys[i].priority {
			return false
		}
	}
	return true
}

// layoutFor returns the layout of reg's registrations: a recent one of the
// same shape, or one made now (an error for duplicates).
func layoutFor(reg *module.Registrar) (*layout, error) {
	iqs, hooks := reg.IQs(), reg.Hooks()
	var recent []*layout
	if p := recentLayouts.Load(); p != nil {
		recent = *p
	}
	for _, l := range recent {
		if l.fits(iqs, hooks) {
			return l, nil
		}
	}
	l, err := makeLayout(iqs, hooks)
	if err != nil {
		return nil, err
	}
	next := make([]*layout, 0, keptLayouts)
	next = append(next, l)
	next = append(next, recent[:min(len(recent), keptLayouts-1)]...)
	recentLayouts.Store(&next) // a concurrent Store may win: the loser is only not kept
	return l, nil
}

func makeLayout(iqs []module.IQEntry, hooks []module.HookEntry) (*layout, error) {
	l := &layout{iqKeys: make([]iqKey, len(iqs)), hookKeys: make([]hookKey, len(hooks))}
	for i, e := range iqs {
		l.iqKeys[i] = iqKey{e.To, e.Type, e.Prepare != nil, e.Payload, e.Module}
	}
	for i, h := range hooks {
		l.hookKeys[i] = hookKey{h.Kind, h.Priority}
	}
	// Each table is sorted stably, so that a duplicate's two modules are
	// named in registration order.
	byName := func(a, b int32) int { return cmpName(iqs[a].Payload, iqs[b].Payload) }
	targets := [numTargets]module.Target{module.ToDomain, module.ToAccount, module.ToSelf}
	types := [2]module.IQType{module.Get, module.Set}
	for ti, bit := range targets {
		for ty, tbit := range types {
			var idx []int32
			for i, e := range iqs {
				if e.To&bit != 0 && e.Type&tbit != 0 {
					idx = append(idx, int32(i))
				}
			}
			slices.SortStableFunc(idx, byName)
			for k := 1; k < len(idx); k++ {
				if a, b := &iqs[idx[k-1]], &iqs[idx[k]]; cmpName(a.Payload, b.Payload) == 0 {
					return nil, fmt.Errorf("modules %s and %s both handle %s iqs for {%s}%s on target %d",
						a.Module, b.Module, [2]string{"get", "set"}[ty], b.Payload.Space, b.Payload.Local, ti)
				}
			}
			l.iqs[ti][ty] = idx
		}
	}
	if err := l.layPrepares(iqs); err != nil {
		return nil, err
	}
	l.hookOrder = make([]int32, 0, len(hooks))
	for k := range module.NumHookKinds {
		start := len(l.hookOrder)
		for i, h := range hooks {
			if h.Kind == k {
				l.hookOrder = append(l.hookOrder, int32(i))
			}
		}
		slices.SortStableFunc(l.hookOrder[start:], func(a, b int32) int { return cmp.Compare(hooks[b].Priority, hooks[a].Priority) })
		l.hookEnd[k] = int32(len(l.hookOrder))
	}
	return l, nil
}

func (r *Router) compile(reg *module.Registrar) error {
	t := &r.tables
	l, err := layoutFor(reg)
	if err != nil {
		return err
	}
	t.entries, t.iqs, t.prepares = reg.IQs(), &l.iqs, &l.prepares
	// The hooks are copied, in order, into one list that the kinds share.
	hooks := reg.Hooks()
	all := make([]module.HookEntry, len(l.hookOrder))
	for k, i := range l.hookOrder {
		all[k] = hooks[i]
	}
	start := int32(0)
	for k := range t.hooks {
		end := l.hookEnd[k]
		t.hooks[k] = all[start:end:end]
		start = end
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
	// A handful of elements: comparing each pair costs less than a map.
	els := reg.StreamElements()
	for i, e := range els {
		if e.Handle == nil || slices.ContainsFunc(els[:i], func(o module.StreamElement) bool { return o.Name == e.Name && o.Stage == e.Stage }) {
			return fmt.Errorf("stream element {%s}%s registered twice or without a handler", e.Name.Space, e.Name.Local)
		}
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
func (t *tables) iqHandler(target int, typ string, n xml.Name) *module.IQEntry {
	ty := 0
	if typ == "set" {
		ty = 1
	}
	return t.lookup(t.iqs[target][ty], n)
}

// lookup finds n in list, indices into t.entries sorted by payload name:
// the exact name first, then its namespace; nil when neither is there.
func (t *tables) lookup(list []int32, n xml.Name) *module.IQEntry {
	if len(list) == 0 {
		return nil
	}
	find := func(n xml.Name) *module.IQEntry {
		i, found := slices.BinarySearchFunc(list, n, func(x int32, n xml.Name) int { return cmpName(t.entries[x].Payload, n) })
		if found {
			return &t.entries[list[i]]
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
