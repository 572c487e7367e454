package module_test

import (
	"encoding/xml"
	"iter"
	"testing"

	"mellium.im/xmpp/jid"

	"github.com/muctest/muctest/module"
)

// fakeAccount is just enough of an Account to hold state.
type fakeAccount struct {
	module.Account
	slots module.Slots
}

func (a *fakeAccount) State() *module.Slots               { return &a.slots }
func (a *fakeAccount) Sessions() iter.Seq[module.Session] { return func(func(module.Session) bool) {} }
func (a *fakeAccount) JID() jid.JID                       { return jid.MustParse("a@localhost") }

type sized struct{ n int }

func (s *sized) Size() int { return s.n }

var (
	sizedKey = module.NewAccountState[sized]("test.sized")
	plainKey = module.NewAccountState[[]string]("test.plain")
)

func TestAccountState(t *testing.T) {
	a := &fakeAccount{}
	if sizedKey.Get(a) != nil || a.slots.Size() != 0 {
		t.Fatal("state before use")
	}
	sizedKey.Use(a).n = 40
	*plainKey.Use(a) = []string{"not counted: no Size method"}
	if got := sizedKey.Get(a); got == nil || got.n != 40 || sizedKey.Use(a) != got {
		t.Fatalf("Get after Use = %v", got)
	}
	if n := a.slots.Size(); n != 40 {
		t.Fatalf("Size = %d, want 40", n)
	}
	names := map[string]bool{}
	a.slots.Each(func(name string, _ any) { names[name] = true })
	if !names["test.sized"] || !names["test.plain"] || len(names) != 2 {
		t.Fatalf("Each named %v", names)
	}
	sizedKey.Drop(a)
	if sizedKey.Get(a) != nil || a.slots.Size() != 0 || plainKey.Get(a) == nil {
		t.Fatal("Drop forgot the wrong thing")
	}
}

func TestRegistrarChecks(t *testing.T) {
	tests := []struct {
		name    string
		reg     func(r *module.Registrar)
		wantErr bool
	}{
		{"complete iq", func(r *module.Registrar) {
			r.IQ(module.IQ{To: module.ToDomain, Type: module.Get, Payload: xml.Name{Space: "urn:x", Local: "q"}, Handle: func(*module.Request) {}})
		}, false},
		{"iq without target", func(r *module.Registrar) {
			r.IQ(module.IQ{Type: module.Get, Payload: xml.Name{Space: "urn:x"}, Handle: func(*module.Request) {}})
		}, true},
		{"iq without namespace", func(r *module.Registrar) {
			r.IQ(module.IQ{To: module.ToDomain, Type: module.Get, Handle: func(*module.Request) {}})
		}, true},
		{"iq without handler", func(r *module.Registrar) {
			r.IQ(module.IQ{To: module.ToDomain, Type: module.Get, Payload: xml.Name{Space: "urn:x"}})
		}, true},
		{"two contacts providers", func(r *module.Registrar) { r.Contacts(nil); r.Contacts(contacts{}); r.Contacts(contacts{}) }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := module.NewRegistrar(module.Env{Domain: "localhost"})
			r.Begin("m")
			tc.reg(r)
			if err := r.Err(); (err != nil) != tc.wantErr {
				t.Fatalf("Err() = %v, want an error: %v", err, tc.wantErr)
			}
		})
	}
}

func TestFeaturesDerived(t *testing.T) {
	r := module.NewRegistrar(module.Env{Domain: "localhost"})
	r.Begin("m")
	r.IQ(module.IQ{To: module.ToDomain, Type: module.Get, Payload: xml.Name{Space: "urn:a", Local: "q"},
		Disco: module.OnServer, Handle: func(*module.Request) {}})
	r.IQ(module.IQ{To: module.ToDomain, Type: module.Set, Payload: xml.Name{Space: "urn:a", Local: "q"},
		Disco: module.OnServer, Handle: func(*module.Request) {}})
	r.IQ(module.IQ{To: module.ToAccount, Type: module.Get, Payload: xml.Name{Space: "urn:hidden", Local: "q"},
		Handle: func(*module.Request) {}})
	r.Feature(module.OnAccount, "urn:b")
	want := []module.Feature{{Where: module.OnServer, Var: "urn:a"}, {Where: module.OnAccount, Var: "urn:b"}}
	got := r.Features()
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("features %v, want %v", got, want)
	}
}

type contacts struct{ module.Contacts }
