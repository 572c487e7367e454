package router

import (
	"encoding/xml"
	"sync"
	"testing"

	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/xmlnode"
)

// layoutModules registers iq handlers and hooks of every kind of shape a
// layout records: two targets, a Prepare, hooks of two priorities.
func layoutModules(space string, got *[]string) []module.Module {
	return []module.Module{
		module.New("a", func(r *module.Registrar) error {
			r.IQ(module.IQ{To: module.ToDomain | module.ToSelf, Type: module.Get, Payload: xml.Name{Space: space, Local: "q"},
				Handle: func(*module.Request) {}, Prepare: func(*xmlnode.Element) any { return nil }})
			r.OnMessageSent(module.After, func(module.Context, *module.Sent) bool { *got = append(*got, "a"); return false })
			return nil
		}),
		module.New("b", func(r *module.Registrar) error {
			r.IQ(module.IQ{To: module.ToDomain, Type: module.Get | module.Set, Payload: xml.Name{Space: space, Local: "p"}, Handle: func(*module.Request) {}})
			r.OnMessageSent(module.Filter, func(module.Context, *module.Sent) bool { *got = append(*got, "b"); return false })
			return nil
		}),
	}
}

// TestLayoutShared: routers of the same registrations share one layout
// but keep their own handlers; other registrations get another layout.
func TestLayoutShared(t *testing.T) {
	var got1, got2, got3 []string
	r1, err := New(Config{Domain: "localhost", Modules: layoutModules("urn:x", &got1)})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := New(Config{Domain: "localhost", Modules: layoutModules("urn:x", &got2)})
	if err != nil {
		t.Fatal(err)
	}
	r3, err := New(Config{Domain: "localhost", Modules: layoutModules("urn:y", &got3)})
	if err != nil {
		t.Fatal(err)
	}
	if r1.tables.iqs != r2.tables.iqs || r1.tables.prepares != r2.tables.prepares {
		t.Error("two routers of the same modules have two layouts")
	}
	if r1.tables.iqs == r3.tables.iqs {
		t.Error("routers of other payloads share a layout")
	}
	for _, r := range []*Router{r1, r2, r3} {
		for _, h := range r.tables.hooks[module.MessageSent] {
			h.Sent(nil, nil)
		}
	}
	for i, got := range [][]string{got1, got2, got3} {
		if len(got) != 2 || got[0] != "b" || got[1] != "a" {
			t.Errorf("router %d ran hooks %v, want [b a] (priority order, its own)", i+1, got)
		}
	}
	if h := r2.iqHandler(tDomain, "set", xml.Name{Space: "urn:x", Local: "p"}); h == nil || h.Module != "b" {
		t.Errorf("set p on the domain found %v, want b's", h)
	}
	if h := r2.iqHandler(tSelf, "set", xml.Name{Space: "urn:x", Local: "q"}); h != nil {
		t.Errorf("set q to self found %s's handler, want none", h.Module)
	}
}

// TestLayoutConcurrent makes routers of two shapes at once (for -race).
func TestLayoutConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			var got []string
			space := []string{"urn:c1", "urn:c2"}[i%2]
			r, err := New(Config{Domain: "localhost", Modules: layoutModules(space, &got)})
			if err != nil {
				t.Error(err)
				return
			}
			if h := r.iqHandler(tDomain, "get", xml.Name{Space: space, Local: "q"}); h == nil || h.Module != "a" {
				t.Errorf("get q on the domain found %v, want a's", h)
			}
		})
	}
	wg.Wait()
}
