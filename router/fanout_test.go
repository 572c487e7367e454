package router_test

import (
	"testing"

	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stream"

	"github.com/muctest/muctest/component"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/moduletest"
	"github.com/muctest/muctest/xmlnode"
)

// fanOutFlag is made once, at package initialisation as module.NewFlag
// asks: made per run, -count=64 ran out of the process's 64 flags.
var fanOutFlag = module.NewFlag()

// TestFanOutRunsNoHook pins the hot path: a component's broadcast
// (RouteTo of a groupchat message or an available or unavailable presence
// to a bound full JID) reaches the session without running any hook,
// unless a module flagged the account; then every delivered hook sees it.
func TestFanOutRunsNoHook(t *testing.T) {
	calls := 0
	flag := fanOutFlag
	var router component.AddressedRouter
	counting := module.New("counting", func(r *module.Registrar) error {
		router = r.Router()
		r.Component("rooms.localhost", component.HandlerFunc(func(*xmlnode.Element) {}))
		count := func(module.Context, *module.Delivered) bool { calls++; return false }
		r.OnMessageDelivered(module.Filter, count)
		r.OnMessageDelivered(module.After, count)
		r.OnPresenceDelivered(module.Filter, count)
		r.OnPresenceDelivered(module.After, count)
		r.IQ(module.IQ{To: module.ToSelf, Type: module.Set, Payload: xmlName("urn:example:flag", "on"),
			Handle: func(q *module.Request) { q.Account.SetFlag(flag, true); q.Reply(q.Result()) }})
		return nil
	})
	s := moduletest.New(t, counting)
	alice := s.Login("alice@localhost/a")

	msg := xmlnode.MustParse(`<message xmlns="jabber:client" type="groupchat" from="r@rooms.localhost/n"><body>hi</body></message>`)
	pres := xmlnode.MustParse(`<presence xmlns="jabber:client" from="r@rooms.localhost/n"/>`)
	for range 3 {
		router.RouteTo(msg, alice.JID.String())
		router.RouteTo(pres, alice.JID.String())
	}
	if got := len(alice.Received()); got != 6 || calls != 0 {
		t.Fatalf("fan-out: %d stanzas delivered, %d hook calls; want 6 and none", got, calls)
	}

	alice.Send(`<iq type="set" id="f"><on xmlns="urn:example:flag"/></iq>`)
	alice.Expect(`<iq type="result" id="f"/>`)
	router.RouteTo(msg, alice.JID.String())
	router.RouteTo(pres, alice.JID.String())
	if got := len(alice.Received()); got != 2 || calls != 4 {
		t.Fatalf("flagged account: %d stanzas delivered, %d hook calls; want 2 and 4", got, calls)
	}
}

// countingConn counts deliveries and allocates nothing.
type countingConn struct{ n int }

func (c *countingConn) Send(*xmlnode.Element)               { c.n++ }
func (c *countingConn) SendTo(*xmlnode.Element, string)     { c.n++ }
func (c *countingConn) CloseWithError(stream.Error, string) {}

// TestFanOutAllocatesNothing is the fan-out's allocation gate: RouteTo of
// a room's broadcast to an occupant's session builds nothing.
func TestFanOutAllocatesNothing(t *testing.T) {
	r, err := newRouter(module.New("room", func(reg *module.Registrar) error {
		reg.Component("rooms.localhost", component.HandlerFunc(func(*xmlnode.Element) {}))
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	c := &countingConn{}
	full := jid.MustParse("alice@localhost/a")
	if _, err := r.Bind(c, full, xmlnode.New("jabber:client", "iq", "type", "result")); err != nil {
		t.Fatal(err)
	}
	msg := xmlnode.MustParse(`<message xmlns="jabber:client" type="groupchat" from="r@rooms.localhost/n"><body>hi</body></message>`)
	to := full.String()
	r.RouteTo(msg, to) // warms the JID cache
	if n := testing.AllocsPerRun(100, func() { r.RouteTo(msg, to) }); n != 0 {
		t.Fatalf("RouteTo allocates %.1f times per recipient, want 0", n)
	}
	if c.n != 103 { // the bind result, the warm-up and AllocsPerRun's 101 runs
		t.Fatalf("%d deliveries", c.n)
	}
}
