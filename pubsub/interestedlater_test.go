package pubsub

import (
	"slices"
	"testing"

	"github.com/muctest/muctest/xmlnode"
)

// TestInterestedLater: a service whose InterestedLater takes the
// interested entities' notifications leaves them out of the publish's
// result, hands over the notification and who Interested named, and
// NotifyInterested then addresses it, a part at a time, to those the
// access model admits and who are not subscribed (they had theirs);
// when InterestedLater declines, the publish notifies them as without
// it, and once the node is gone nothing is sent.
func TestInterestedLater(t *testing.T) {
	const okA, okB, nope = "friend@localhost/a", "friend@localhost/b", "stranger@localhost/x"
	interested := []string{okA, nope, okB}
	for _, take := range []bool{true, false} {
		var node string
		var msg *xmlnode.Element
		var who []string
		s := pep(fakeRoster{sub: map[string]bool{"friend@localhost": true}}, func(string) []string { return interested })
		s.cfg.InterestedLater = func(n string, m *xmlnode.Element, w []string) bool {
			if take {
				node, msg, who = n, m, w
			}
			return take
		}
		out := mustOK(t, send(t, s, romeoSelf, publishIQ("tune", "current", `<tune xmlns="http://jabber.org/protocol/tune"/>`)))
		if !take {
			if len(out) != 3 {
				t.Fatalf("declined: got %v, want two notifications and the result", out)
			}
			continue
		}
		if len(out) != 1 {
			t.Fatalf("taken: got %v, want only the result", out)
		}
		if node != "tune" || msg == nil || !slices.Equal(who, interested) {
			t.Fatalf("handed %q %v %v", node, msg, who)
		}
		var to []string
		for _, part := range [][]string{who[:2], who[2:]} {
			for _, el := range s.NotifyInterested(node, msg, part) {
				if el.Child(NSEvent, "event") == nil {
					t.Fatalf("not the notification: %v", el)
				}
				to = append(to, el.Attrib("to"))
			}
		}
		if want := []string{okA, okB}; !slices.Equal(to, want) {
			t.Fatalf("notified %v, want %v", to, want)
		}
		mustOK(t, send(t, s, romeoSelf, `<iq xmlns="jabber:client" type="set" id="d"><pubsub `+ownerNS+`><delete node="tune"/></pubsub></iq>`))
		if got := s.NotifyInterested(node, msg, who); len(got) != 0 {
			t.Fatalf("after the node's deletion: %v", got)
		}
	}
}
