package router_test

import (
	"encoding/xml"
	"sync"
	"testing"

	"github.com/muctest/muctest/mod/ping"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/moduletest"
	"github.com/muctest/muctest/router"
	"github.com/muctest/muctest/xmlnode"
)

const nsLater = "urn:example:later"

// laterModule answers <q xmlns='urn:example:later'/> gets on accounts with
// ReplyLater, its build given by the payload's "do": "lock" takes the
// router's lock (StateSize), which deadlocks unless the build runs after
// unlocking; "panic" panics in the build; "nil" routes nothing;
// "panic-after" panics in the handler after ReplyLater; "block" waits for
// release. Before ReplyLater the handler routes a message to the sender,
// which must come first.
func laterModule(rt **router.Router, started chan<- struct{}, release <-chan struct{}) module.Module {
	return module.New("later", func(r *module.Registrar) error {
		r.IQ(module.IQ{To: module.ToAccount, Type: module.Get, Payload: xml.Name{Space: nsLater, Local: "q"},
			Handle: func(q *module.Request) {
				do := q.Payload.Attrib("do")
				res := q.Result()
				name := q.Account.Name()
				if do == "lock" {
					note := xmlnode.New("jabber:client", "message", "from", q.Account.JID().String(), "to", q.Stanza.Attrib("from"))
					note.AddChild("jabber:client", "body").SetText("first")
					q.Route(note)
				}
				q.ReplyLater(func() *xmlnode.Element {
					switch do {
					case "lock":
						(*rt).StateSize(name) // takes the router's lock
					case "panic":
						panic("build bug")
					case "nil":
						return nil
					case "block":
						started <- struct{}{}
						<-release
					}
					res.AddChild(nsLater, "q").SetAttr("done", do)
					return res
				})
				if do == "panic-after" {
					panic("handler bug after ReplyLater")
				}
			}})
		return nil
	})
}

// TestRouteLater proves that a RouteLater build runs without the router's
// lock (a build taking it would deadlock otherwise) and after what the
// handler routed, that a panic in the build, or in the handler after
// RouteLater, is answered with one internal-server-error, and that a nil
// build routes nothing; the sender keeps being served.
func TestRouteLater(t *testing.T) {
	var rt *router.Router
	s := moduletest.New(t, laterModule(&rt, nil, nil), ping.Module{})
	rt = s.Router
	alice := s.Login("alice@localhost/a")
	for _, tc := range []struct {
		do   string
		want []string
	}{
		{"lock", []string{`<message from="alice@localhost"><body>first</body></message>`,
			`<iq type="result" id="1" from="alice@localhost"><q xmlns="urn:example:later" done="lock"/></iq>`}},
		{"", []string{`<iq type="result" id="1" from="alice@localhost"><q xmlns="urn:example:later" done=""/></iq>`}},
		{"panic", []string{`<iq type="error" id="1" from="alice@localhost">` + internalError + `</iq>`}},
		{"panic-after", []string{`<iq type="error" id="1" from="alice@localhost">` + internalError + `</iq>`}},
		{"nil", nil},
	} {
		t.Run(tc.do, func(t *testing.T) {
			a := alice.In(t)
			a.Send(`<iq type="get" id="1" to="alice@localhost"><q xmlns="urn:example:later" do="` + tc.do + `"/></iq>`)
			a.Expect(tc.want...)
			a.Send(`<iq type="get" id="p" to="localhost"><ping xmlns="urn:xmpp:ping"/></iq>`)
			a.Expect(`<iq type="result" id="p" from="localhost"/>`)
		})
	}
}

// sink is a component that records what it gets.
type sink struct {
	mu  sync.Mutex
	got []*xmlnode.Element
}

func (c *sink) HandleStanza(st *xmlnode.Element) {
	c.mu.Lock()
	c.got = append(c.got, st.Copy())
	c.mu.Unlock()
}

// busyCount is a router.Config.Busy that can be waited on, as the
// server's WaitIdle does.
type busyCount struct {
	mu   sync.Mutex
	cond *sync.Cond
	n    int
}

func (b *busyCount) add(d int) {
	b.mu.Lock()
	b.n += d
	b.cond.Broadcast()
	b.mu.Unlock()
}

func (b *busyCount) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.n
}

func (b *busyCount) waitIdle() {
	b.mu.Lock()
	for b.n > 0 {
		b.cond.Wait()
	}
	b.mu.Unlock()
}

// TestRouteLaterFromComponent: a component's request whose handler
// replies later gets the reply from a goroutine (the component may hold
// its own lock while it calls Route), and that goroutine counts as busy
// (what WaitIdle waits for) until the reply is handed to the component.
func TestRouteLaterFromComponent(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	comp := &sink{}
	b := &busyCount{}
	b.cond = sync.NewCond(&b.mu)
	var rt *router.Router
	mount := module.New("sink", func(r *module.Registrar) error {
		r.Component("comp.localhost", comp)
		return nil
	})
	rt, err := router.New(router.Config{Domain: "localhost", AnyPassword: true, Busy: b.add,
		Modules: []module.Module{laterModule(&rt, started, release), mount}})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()

	iq := xmlnode.New("jabber:client", "iq", "type", "get", "id", "c1", "from", "comp.localhost", "to", "alice@localhost")
	iq.AddChild(nsLater, "q").SetAttr("do", "block")
	rt.Route(iq)
	<-started // the build runs, and blocks
	if n := b.count(); n != 1 {
		t.Fatalf("busy is %d while a later reply is being built, want 1", n)
	}
	close(release)
	b.waitIdle()
	comp.mu.Lock()
	defer comp.mu.Unlock()
	if len(comp.got) != 1 || comp.got[0].Attrib("type") != "result" || comp.got[0].Attrib("id") != "c1" {
		t.Fatalf("the component got %v, want the result of c1", comp.got)
	}
}
