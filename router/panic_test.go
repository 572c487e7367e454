package router_test

import (
	"encoding/xml"
	"sync"
	"testing"

	"github.com/muctest/muctest/component"
	"github.com/muctest/muctest/mod/ping"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/moduletest"
	"github.com/muctest/muctest/xmlnode"
)

const internalError = `<error type="cancel"><internal-server-error xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error>`

// buggy panics in an iq handler and in a message hook, each for one
// payload: what a module with a bug does.
var buggy = module.New("buggy", func(r *module.Registrar) error {
	r.IQ(module.IQ{To: module.ToDomain, Type: module.Get, Payload: xml.Name{Space: "urn:example:bug", Local: "q"},
		Handle: func(*module.Request) { panic("handler bug") }})
	r.OnMessageSent(module.Filter, func(_ module.Context, ev *module.Sent) bool {
		if ev.Stanza.Child("urn:example:bug", "x") != nil {
			panic("hook bug")
		}
		return false
	})
	return nil
})

// TestPanickingModule proves that a panic in a handler or a hook is
// recovered for that stanza: its sender gets internal-server-error, the
// router's lock is released, and the sender and everyone else keep being
// served.
func TestPanickingModule(t *testing.T) {
	s := moduletest.New(t, buggy, ping.Module{})
	alice := s.Login("alice@localhost/a")
	bob := s.Login("bob@localhost/b")

	alice.Send(`<iq type="get" id="bug" to="localhost"><q xmlns="urn:example:bug"/></iq>`)
	alice.Expect(`<iq type="error" id="bug" from="localhost" to="alice@localhost/a">` + internalError + `</iq>`)

	alice.Send(`<message type="chat" id="m1" to="bob@localhost/b"><x xmlns="urn:example:bug"/><body>boom</body></message>`)
	alice.Expect(`<message type="error" id="m1" from="bob@localhost/b">` + internalError + `</message>`)
	bob.ExpectNothing()

	// Still served, both of them, and messages without the bug go through.
	for _, c := range []*moduletest.Client{alice, bob} {
		c.Send(`<iq type="get" id="p" to="localhost"><ping xmlns="urn:xmpp:ping"/></iq>`)
		c.Expect(`<iq type="result" id="p" from="localhost"/>`)
	}
	alice.Send(`<message type="chat" to="bob@localhost/b"><body>fine</body></message>`)
	bob.Expect(`<message type="chat" from="alice@localhost/a"><body>fine</body></message>`)
}

// roomLike is a MUC-like component: it answers every message by routing
// one back (as a room reflects a groupchat message), and panics on one
// body, after taking its lock the way a careful component does.
type roomLike struct {
	mu     sync.Mutex
	router component.Router
}

func (c *roomLike) HandleStanza(st *xmlnode.Element) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st.ChildText("", "body") == "crash" {
		panic("component bug")
	}
	reply := xmlnode.New("jabber:client", "message", "from", st.Attrib("to"), "to", st.Attrib("from"), "type", "groupchat")
	reply.AddChild("jabber:client", "body").SetText(st.ChildText("", "body"))
	c.router.Route(reply)
}

// TestPanickingComponent proves the same for a component: the stanza that
// crashed it is answered with internal-server-error from the component's
// address, and the component, another component and the users keep being
// served.
func TestPanickingComponent(t *testing.T) {
	room, other := &roomLike{}, &roomLike{}
	mounts := module.New("rooms", func(r *module.Registrar) error {
		room.router, other.router = r.Router(), r.Router()
		r.Component("rooms.localhost", room)
		r.Component("other.localhost", other)
		return nil
	})
	s := moduletest.New(t, mounts, ping.Module{})
	alice := s.Login("alice@localhost/a")

	alice.Send(`<message type="groupchat" id="c" to="r@rooms.localhost"><body>crash</body></message>`)
	alice.Expect(`<message type="error" id="c" from="r@rooms.localhost">` + internalError + `</message>`)

	alice.Send(`<message type="groupchat" to="r@rooms.localhost"><body>again</body></message>`)
	alice.Expect(`<message type="groupchat" from="r@rooms.localhost"><body>again</body></message>`)
	alice.Send(`<message type="groupchat" to="r@other.localhost"><body>hi</body></message>`)
	alice.Expect(`<message type="groupchat" from="r@other.localhost"><body>hi</body></message>`)
	alice.Send(`<iq type="get" id="p" to="localhost"><ping xmlns="urn:xmpp:ping"/></iq>`)
	alice.Expect(`<iq type="result" id="p" from="localhost"/>`)
}

// TestDuplicateIQHandler: two modules answering the same iq is an error
// from New, not a silent choice.
func TestDuplicateIQHandler(t *testing.T) {
	_, err := newRouter(ping.Module{}, module.New("ping2", func(r *module.Registrar) error {
		r.IQ(module.IQ{To: module.ToAccount, Type: module.Get, Payload: xml.Name{Space: ping.NS, Local: "ping"},
			Handle: func(*module.Request) {}})
		return nil
	}))
	if err == nil {
		t.Fatal("New accepted two handlers for the same iq")
	}
}
