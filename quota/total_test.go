package quota_test

import (
	"iter"
	"testing"

	"mellium.im/xmpp/jid"

	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/quota"
)

// fakeAccount is a module.Account with slots and nothing else.
type fakeAccount struct {
	name  string
	state module.Slots
}

func (a *fakeAccount) Name() string                       { return a.name }
func (a *fakeAccount) JID() jid.JID                       { return jid.MustParse(a.name + "@localhost") }
func (a *fakeAccount) Sessions() iter.Seq[module.Session] { return func(func(module.Session) bool) {} }
func (a *fakeAccount) Session(string) module.Session      { return nil }
func (a *fakeAccount) State() *module.Slots               { return &a.state }
func (a *fakeAccount) SetFlag(module.Flag, bool)          {}
func (a *fakeAccount) Flagged() bool                      { return false }

// store plays a module: it grows a's state by grow bytes when t admits it.
func store(t *quota.Total, a *fakeAccount, grow int) bool {
	if !t.Admit(a, quota.Used(a), grow) {
		return false
	}
	small.Use(a).n += grow
	return true
}

// TestTotal: the server-wide Total admits growth up to its limit over
// every account, refuses past it whatever the account, counts a shrink at
// once, finds bytes an account gave back without telling (a delivered
// offline message) before it refuses, and forgets accounts that hold
// nothing.
func TestTotal(t *testing.T) {
	tot := quota.NewTotal(1000)
	a, b, c := &fakeAccount{name: "a"}, &fakeAccount{name: "b"}, &fakeAccount{name: "c"}
	steps := []struct {
		name string
		acct *fakeAccount
		grow int
		want bool
		used int // Total.Used afterwards
	}{
		{"a within", a, 600, true, 600},
		{"b within", b, 400, true, 1000},
		{"c past the total", c, 1, false, 1000},
		{"a past it too", a, 1, false, 1000},
		{"a shrinks, counted at once", a, -100, true, 900},
		{"c fits the freed bytes", c, 100, true, 1000},
		{"c past again", c, 1, false, 1000},
	}
	for _, s := range steps {
		if got := store(tot, s.acct, s.grow); got != s.want {
			t.Fatalf("%s: admitted %v, want %v", s.name, got, s.want)
		}
		if tot.Used() != s.used {
			t.Fatalf("%s: Used %d, want %d", s.name, tot.Used(), s.used)
		}
	}
	// b gives 300 bytes back without a Budget (offline messages
	// delivered); a's next store finds them before refusing.
	small.Get(b).n -= 300
	if !store(tot, a, 250) {
		t.Fatal("bytes given back without a Budget were not found")
	}
	// a holds nothing any more (its account removed): forgotten.
	a.state = module.Slots{}
	small.Get(b).n = 0
	if !store(tot, c, 10) {
		t.Fatal("refused with every other account empty")
	}
	if tot.Used() != small.Get(c).n {
		t.Fatalf("Used %d, want only c's %d", tot.Used(), small.Get(c).n)
	}
	tot.Forget(c)
	if tot.Used() != 0 {
		t.Fatalf("Used %d after Forget", tot.Used())
	}
}

// TestTotalNoLimit: a negative limit admits anything, and a nil Total too.
func TestTotalNoLimit(t *testing.T) {
	a := &fakeAccount{name: "a"}
	if !quota.NewTotal(-1).Admit(a, 0, 1<<40) {
		t.Error("negative limit refused")
	}
	var nilTotal *quota.Total
	if !nilTotal.Admit(a, 0, 1<<40) {
		t.Error("nil Total refused")
	}
}

// BenchmarkTotalAdmit is the Total's cost per store under the router's
// lock, with 10,000 accounts holding state: the refresh of a few other
// accounts per Admit, and the bounded refresh before a refusal.
func BenchmarkTotalAdmit(b *testing.B) {
	accts := make([]*fakeAccount, 10000)
	for _, refuse := range []bool{false, true} {
		name := "admitted"
		if refuse {
			name = "refused"
		}
		b.Run(name, func(b *testing.B) {
			limit := 10000 * 100
			if refuse {
				limit = 10000 * 10
			}
			tot := quota.NewTotal(limit)
			for i := range accts {
				accts[i] = &fakeAccount{name: "u"}
				store(tot, accts[i], 10)
			}
			i := 0
			for b.Loop() {
				a := accts[i%len(accts)]
				i++
				if store(tot, a, 1) == refuse {
					b.Fatal("unexpected outcome")
				}
				if !refuse {
					small.Use(a).n-- // keep the total where it was
				}
			}
		})
	}
}
