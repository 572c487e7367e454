package blocking

import (
	"iter"
	"strconv"
	"testing"

	"mellium.im/xmpp/jid"

	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/xmlnode"
)

// fakeCtx records Later's functions: each is one span of the lock.
type fakeCtx struct {
	module.Context
	later []func(module.Context)
}

func (c *fakeCtx) Later(f func(module.Context)) { c.later = append(c.later, f) }

type fakeAccount struct {
	module.Account
	state    module.Slots
	sessions []module.Session
}

func (a *fakeAccount) State() *module.Slots { return &a.state }
func (a *fakeAccount) Sessions() iter.Seq[module.Session] {
	return func(yield func(module.Session) bool) {
		for _, s := range a.sessions {
			if !yield(s) {
				return
			}
		}
	}
}

// fakeSession records what it is sent, with the span it was sent in.
type fakeSession struct {
	module.Session
	full  jid.JID
	state module.Slots
	span  *int
	got   []string // span:id:items
}

func (s *fakeSession) JID() jid.JID         { return s.full }
func (s *fakeSession) State() *module.Slots { return &s.state }
func (s *fakeSession) Send(st *xmlnode.Element) {
	if st.Attrib("to") != s.full.String() {
		panic("push to " + st.Attrib("to") + " sent to " + s.full.String())
	}
	s.got = append(s.got, strconv.Itoa(*s.span)+":"+st.Elements()[0].Name.Local+":"+strconv.Itoa(len(st.Elements()[0].Elements())))
}

// TestPushSpans: a change's pushes are delivered oldest first to every
// session that fetched the list, once each, with at most pushSpanItems of
// work in a span beyond the first push, and a change queued while an
// older one is still on its way reaches every session after it.
func TestPushSpans(t *testing.T) {
	for _, tc := range []struct {
		name             string
		sessions, items  int
		wantSpans        int // spans for the first change alone
		secondAfterSpans int // a second (one item) change queued after this many spans; -1: none
	}{
		{"small change, one span", 100, 1, 1, -1},
		{"large change, one session per span", 100, 1000, 100, -1},
		{"half the budget, two sessions per span", 100, pushSpanItems / 2, 50, -1},
		{"past the budget, one session per span", 3, 5000, 3, -1},
		{"second change waits for the first", 10, 1000, 10, 1},
		{"second change before the first one's last span", 10, 1000, 10, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			span := 0
			a := &fakeAccount{}
			var all []*fakeSession
			for i := range tc.sessions {
				s := &fakeSession{full: jid.MustParse("alice@localhost/r" + strconv.Itoa(i)), span: &span}
				fetched.Use(s)
				all = append(all, s)
				a.sessions = append(a.sessions, s)
			}
			// One that never fetched the list gets nothing.
			a.sessions = append(a.sessions, &fakeSession{full: jid.MustParse("alice@localhost/quiet"), span: &span})
			l := lists.Use(a)
			change := func(verb string, n int) *xmlnode.Element {
				p := &preparedItems{}
				for i := range n {
					p.order = append(p.order, "u"+strconv.Itoa(i)+"@example.com")
				}
				return p.pushIQ(verb)
			}
			c := &fakeCtx{}
			queuePush(c, a, l, change("block", tc.items), tc.items)
			for len(c.later) > 0 {
				if span == tc.secondAfterSpans {
					// Another request's span, with its own Context.
					span++
					c2 := &fakeCtx{}
					queuePush(c2, a, l, change("unblock", 1), 1)
					c.later = append(c.later, c2.later...)
				}
				f := c.later[0]
				c.later = c.later[1:]
				span++
				f(c)
			}
			if got := span + 1; tc.secondAfterSpans < 0 && got != tc.wantSpans {
				t.Errorf("spans: got %d, want %d", got, tc.wantSpans)
			}
			for _, s := range all {
				want := []string{"block:" + strconv.Itoa(tc.items)}
				if tc.secondAfterSpans >= 0 {
					want = append(want, "unblock:1")
				}
				if len(s.got) != len(want) {
					t.Fatalf("%s got %v, want %v", s.full, s.got, want)
				}
				for i, g := range s.got {
					sp, rest, _ := cut(g)
					if rest != want[i] {
						t.Errorf("%s push %d: got %s, want %s", s.full, i, rest, want[i])
					}
					if i > 0 {
						prev, _, _ := cut(s.got[i-1])
						if atoi(sp) < atoi(prev) {
							t.Errorf("%s: push %d in span %s, before push %d's span %s", s.full, i, sp, i-1, prev)
						}
					}
				}
			}
			if l.pushes != nil {
				t.Errorf("pushes left queued: %d", len(l.pushes))
			}
			// The work per span: a push's items per recipient.
			work := map[int]int{}
			for _, s := range all {
				for _, g := range s.got {
					sp, rest, _ := cut(g)
					n := 1
					if rest == "block:"+strconv.Itoa(tc.items) {
						n = tc.items
					}
					work[atoi(sp)] += n
				}
			}
			for sp, w := range work {
				if w > max(pushSpanItems, tc.items) {
					t.Errorf("span %d: %d items of pushes, over %d", sp, w, pushSpanItems)
				}
			}
		})
	}
}

func cut(g string) (span, rest string, ok bool) {
	for i := range len(g) {
		if g[i] == ':' {
			return g[:i], g[i+1:], true
		}
	}
	return g, "", false
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }
