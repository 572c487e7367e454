package router_test

import (
	"strings"
	"testing"

	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/moduletest"
)

// TestSessionHooks: bound, unbinding (with a veto that keeps the session
// until the module unbinds it) and unbound run in that order, and a
// vetoed session stays online for everyone else meanwhile.
func TestSessionHooks(t *testing.T) {
	var events []string
	var kept module.Session
	hibernate := module.New("hibernate", func(r *module.Registrar) error {
		r.OnSessionBound(0, func(_ module.Context, s module.Session) { events = append(events, "bound "+s.JID().Resourcepart()) })
		r.OnSessionUnbinding(0, func(_ module.Context, s module.Session, reason string) bool {
			events = append(events, "unbinding "+s.JID().Resourcepart()+": "+reason)
			if s.JID().Resourcepart() == "phone" && kept == nil {
				kept = s
				return true
			}
			return false
		})
		r.OnSessionUnbound(0, func(_ module.Context, s module.Session) { events = append(events, "unbound "+s.JID().Resourcepart()) })
		r.IQ(module.IQ{To: module.ToDomain, Type: module.Set, Payload: xmlName("urn:example:hibernate", "expire"),
			Handle: func(q *module.Request) {
				q.Unbind(kept, "hibernation expired")
				q.Reply(q.Result())
			}})
		return nil
	})
	s := moduletest.New(t, hibernate)
	phone := s.Login("alice@localhost/phone")
	desk := s.Login("alice@localhost/desk")
	phone.Send(`<presence/>`)
	desk.Send(`<presence/>`)
	phone.Received()
	desk.Received()

	phone.Close() // the connection drops: the module keeps the session
	desk.ExpectNothing()
	desk.Send(`<message to="alice@localhost/phone" type="chat"><body>still there?</body></message>`)
	desk.ExpectNothing() // delivered to the kept session, no error

	desk.Send(`<iq type="set" id="x" to="localhost"><expire xmlns="urn:example:hibernate"/></iq>`)
	desk.Expect(`<presence type="unavailable" from="alice@localhost/phone"><status>Disconnected: hibernation expired</status></presence>`,
		`<iq type="result" id="x"/>`)
	desk.Close()

	want := "bound phone|bound desk|unbinding phone: connection closed|unbound phone|unbinding desk: connection closed|unbound desk"
	if got := strings.Join(events, "|"); got != want {
		t.Fatalf("events\n%s\nwant\n%s", got, want)
	}
}

// TestComponentRecorder: what a session sends to a component's domain
// reaches it with the "from" the router stamped.
func TestComponentRecorder(t *testing.T) {
	s := moduletest.NewConfig(t, moduletest.Config{Components: []string{"pubsub.localhost"}})
	a := s.Login("alice@localhost/a")
	a.Send(`<iq type="get" id="1" to="pubsub.localhost"><pubsub xmlns="http://jabber.org/protocol/pubsub"/></iq>`)
	got := s.Component("pubsub.localhost").Received()
	if len(got) != 1 || got[0].Attrib("from") != "alice@localhost/a" || got[0].Attrib("id") != "1" {
		t.Fatalf("component got %v", got)
	}
}
