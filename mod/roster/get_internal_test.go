package roster

import (
	"strconv"
	"testing"

	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/moduletest"
)

// TestGetLaterHoldsPushes: a roster result built after the lock (more
// than laterRosterItems items) reaches the requester before a push of a
// change made while it was on its way, here by a hook that runs as the
// result is delivered; a session that fetched the roster before gets the
// push at once, and a small roster's result is routed with the lock held.
func TestGetLaterHoldsPushes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		items int
	}{
		{"built later", laterRosterItems + 1},
		{"built in the span", laterRosterItems},
	} {
		t.Run(tc.name, func(t *testing.T) {
			changed := false
			probe := module.New("probe", func(r *module.Registrar) error {
				r.OnIQDelivered(1, func(_ module.Context, ev *module.Delivered) bool {
					if !changed && ev.Stanza.Attrib("id") == "get" && ev.Stanza.Attrib("type") == "result" {
						changed = true
						(&mod{}).push(ev.Account, "c0@localhost")
					}
					return false
				})
				return nil
			})
			s := moduletest.New(t, probe, Module{})
			other := s.Login("alice@localhost/other")
			a := s.Login("alice@localhost/a")
			for i := range tc.items {
				a.Send(`<iq type="set" id="s"><query xmlns="jabber:iq:roster"><item jid="c` + strconv.Itoa(i) + `@localhost"/></query></iq>`)
			}
			a.Received()
			other.Send(`<iq type="get" id="o"><query xmlns="jabber:iq:roster"/></iq>`)
			other.Received()
			a.Send(`<iq type="get" id="get"><query xmlns="jabber:iq:roster"/></iq>`)
			got := a.Received()
			if len(got) != 2 {
				t.Fatalf("got %d stanzas, want the result and a push: %v", len(got), got)
			}
			res, push := got[0], got[1]
			if tc.items == laterRosterItems {
				res, push = push, res // in the span: the hook's push goes first
			}
			q := res.Child("jabber:iq:roster", "query")
			if res.Attrib("type") != "result" || q == nil || len(q.Elements()) != tc.items {
				t.Errorf("result: got %v", res)
			}
			if push.Attrib("type") != "set" || push.Child("jabber:iq:roster", "query") == nil {
				t.Errorf("push: got %v", push)
			}
			if got := other.Received(); len(got) != 1 || got[0].Attrib("type") != "set" {
				t.Errorf("the other session: got %v, want the push", got)
			}
			// Nothing is held any more: the next push goes at once.
			other.Send(`<iq type="set" id="s2"><query xmlns="jabber:iq:roster"><item jid="new@localhost"/></query></iq>`)
			if got := a.Received(); len(got) != 1 || got[0].Attrib("type") != "set" {
				t.Errorf("after the result: got %v, want a push", got)
			}
		})
	}
}
