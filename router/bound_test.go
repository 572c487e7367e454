package router_test

import (
	"testing"

	"mellium.im/xmpp/jid"

	"github.com/muctest/muctest/component"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/xmlnode"
)

// TestRouteToFollowsBinding checks RouteTo's index of bound sessions
// against bind, replacement and unbind: a broadcast reaches the session
// bound to the address at that moment, by its exact address or any other
// spelling of it, and nobody once it is gone.
func TestRouteToFollowsBinding(t *testing.T) {
	r, err := newRouter(module.New("room", func(reg *module.Registrar) error {
		reg.Component("rooms.localhost", component.HandlerFunc(func(*xmlnode.Element) {}))
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	full := jid.MustParse("alice@localhost/a")
	reply := xmlnode.New("jabber:client", "iq", "type", "result")
	first := &countingConn{}
	if _, err := r.Bind(first, full, reply); err != nil {
		t.Fatal(err)
	}
	msg := xmlnode.MustParse(`<message xmlns="jabber:client" type="groupchat" from="r@rooms.localhost/n"><body>hi</body></message>`)
	chat := xmlnode.MustParse(`<message xmlns="jabber:client" type="chat" from="r@rooms.localhost/n"><body>hi</body></message>`)

	for _, to := range []string{"alice@localhost/a", "ALICE@localhost/a", "alice@LOCALHOST/a"} {
		before := first.n
		r.RouteTo(msg, to)
		if first.n != before+1 {
			t.Fatalf("RouteTo(%q): %d deliveries, want 1", to, first.n-before)
		}
	}
	// A chat message takes the general path to the same session.
	before := first.n
	r.RouteTo(chat, "alice@localhost/a")
	if first.n != before+1 {
		t.Fatalf("chat: %d deliveries, want 1", first.n-before)
	}
	// Groupchat to the bare JID or another resource reaches no session.
	before = first.n
	r.RouteTo(msg, "alice@localhost")
	r.RouteTo(msg, "alice@localhost/b")
	if first.n != before {
		t.Fatalf("bare JID and other resource: %d deliveries, want 0", first.n-before)
	}

	second := &countingConn{}
	h, err := r.Bind(second, full, reply)
	if err != nil {
		t.Fatal(err)
	}
	before, seen := first.n, second.n
	r.RouteTo(msg, "alice@localhost/a")
	if first.n != before || second.n != seen+1 {
		t.Fatalf("after replacement: old session got %d, new %d; want 0 and 1", first.n-before, second.n-seen)
	}

	h.Close("gone")
	seen = second.n
	r.RouteTo(msg, "alice@localhost/a")
	if second.n != seen || first.n != before {
		t.Fatalf("after unbind: %d and %d deliveries, want none", second.n-seen, first.n-before)
	}
}

// BenchmarkRouteTo is the router's share of a room's broadcast: one op is
// RouteTo of one groupchat message to 100 bound sessions.
func BenchmarkRouteTo(b *testing.B) {
	r, err := newRouter(module.New("room", func(reg *module.Registrar) error {
		reg.Component("rooms.localhost", component.HandlerFunc(func(*xmlnode.Element) {}))
		return nil
	}))
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	c := &countingConn{}
	var to []string
	for i := range 100 {
		full := jid.MustParse("user" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + "@localhost/bench")
		if _, err := r.Bind(c, full, xmlnode.New("jabber:client", "iq", "type", "result")); err != nil {
			b.Fatal(err)
		}
		to = append(to, full.String())
	}
	msg := xmlnode.MustParse(`<message xmlns="jabber:client" type="groupchat" from="r@rooms.localhost/n"><body>hi</body></message>`)
	b.ReportAllocs()
	for b.Loop() {
		for _, t := range to {
			r.RouteTo(msg, t)
		}
	}
}
