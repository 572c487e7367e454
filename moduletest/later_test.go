package moduletest_test

import (
	"encoding/xml"
	"testing"

	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/moduletest"
	"github.com/muctest/muctest/xmlnode"
)

// TestReplyLater: a handler's RouteLater reply is routed by the time Send
// returns (the build ran after the router's lock was released: it takes
// the lock itself), and for a component's request by the time the
// Recorder's Received returns, the harness waiting for the goroutine that
// builds it.
func TestReplyLater(t *testing.T) {
	var s *moduletest.Server
	later := module.New("later", func(r *module.Registrar) error {
		r.IQ(module.IQ{To: module.ToAccount, Type: module.Get, Payload: xml.Name{Space: "urn:example:later", Local: "q"},
			Handle: func(q *module.Request) {
				res, name := q.Result(), q.Account.Name()
				q.ReplyLater(func() *xmlnode.Element {
					s.Router.StateSize(name) // takes the router's lock
					res.AddChild("urn:example:later", "q").SetAttr("built", "later")
					return res
				})
			}})
		return nil
	})
	s = moduletest.NewConfig(t, moduletest.Config{Modules: []module.Module{later}, Components: []string{"comp.localhost"}})
	alice := s.Login("alice@localhost/a")
	alice.Send(`<iq type="get" id="1" to="alice@localhost"><q xmlns="urn:example:later"/></iq>`)
	alice.Expect(`<iq type="result" id="1" from="alice@localhost"><q xmlns="urn:example:later" built="later"/></iq>`)

	iq := xmlnode.New("jabber:client", "iq", "type", "get", "id", "2", "from", "comp.localhost", "to", "alice@localhost")
	iq.AddChild("urn:example:later", "q")
	s.Router.Route(iq)
	got := s.Component("comp.localhost").Received()
	if len(got) != 1 || got[0].Attrib("id") != "2" || got[0].Child("urn:example:later", "q").Attrib("built") != "later" {
		t.Fatalf("the component got %v, want the later result of 2", got)
	}
}
