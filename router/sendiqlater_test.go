package router_test

import (
	"encoding/xml"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/mod/ping"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/moduletest"
	"github.com/muctest/muctest/router"
	"github.com/muctest/muctest/xmlnode"
)

const nsAskLater = "urn:example:asklater"

// laterAsker answers <ask xmlns='urn:example:asklater'/> to the domain
// and then pings the asker with SendIQLater, its build given by "do":
// "lock" takes the router's lock (StateSize), which deadlocks unless the
// build runs after unlocking; "panic" panics; "nil" builds nothing;
// "close" closes the router first. The outcome goes to the asker in a
// message (unless the router closed) and on errs.
func laterAsker(rt **router.Router, errs chan<- error) module.Module {
	return module.New("laterasker", func(r *module.Registrar) error {
		r.IQ(module.IQ{To: module.ToDomain, Type: module.Get, Payload: xml.Name{Space: nsAskLater, Local: "ask"},
			Handle: func(q *module.Request) {
				do, from := q.Payload.Attrib("do"), q.From.String()
				q.Reply(q.Result())
				q.SendIQLater("", from, "", func() *xmlnode.Element {
					switch do {
					case "lock":
						(*rt).StateSize("alice")
					case "panic":
						panic("build bug")
					case "nil":
						return nil
					case "close":
						_ = (*rt).Close()
					}
					// Whatever it says, the router stamps id, to and from.
					iq := xmlnode.New("jabber:client", "iq", "type", "get", "to", "nobody@localhost")
					iq.AddChild("urn:xmpp:ping", "ping")
					return iq
				}, time.Hour, func(c module.Context, reply *xmlnode.Element, err error) {
					outcome := "closed"
					switch {
					case err == nil:
						outcome = reply.Attrib("type")
					case !errors.Is(err, module.ErrClosed):
						outcome = err.Error()
					}
					if outcome != "closed" {
						m := xmlnode.New("jabber:client", "message", "from", c.Domain(), "to", from)
						m.AddChild("jabber:client", "body").SetText(outcome)
						c.Route(m)
					}
					errs <- err
				})
			}})
		return nil
	})
}

// TestSendIQLater: the iq is built after the router's lock is released
// (a build that takes it would deadlock), stamped with the id, to and
// from its wait was registered with, routed after the handler's reply,
// and its answer reaches done; a build that panics or builds nothing
// ends the wait with ErrNotSent, and the asker keeps being served.
func TestSendIQLater(t *testing.T) {
	errs := make(chan error, 1)
	var rt *router.Router
	s := moduletest.New(t, laterAsker(&rt, errs), ping.Module{})
	rt = s.Router
	alice := s.Login("alice@localhost/a")
	for _, do := range []string{"", "lock", "panic", "nil"} {
		t.Run(do, func(t *testing.T) {
			a := alice.In(t)
			a.Send(`<iq type="get" id="q" to="localhost"><ask xmlns="urn:example:asklater" do="` + do + `"/></iq>`)
			got := a.Received()
			if len(got) == 0 || got[0].Attrib("type") != "result" || got[0].Attrib("id") != "q" {
				t.Fatalf("got %v, want the result first", got)
			}
			switch do {
			case "panic", "nil":
				if err := <-errs; !errors.Is(err, module.ErrNotSent) {
					t.Fatalf("done got %v, want ErrNotSent", err)
				}
				if len(got) != 2 || got[1].Name.Local != "message" || !strings.Contains(got[1].String(), module.ErrNotSent.Error()) {
					t.Fatalf("got %v, want the result and done's message", got)
				}
			default:
				if len(got) != 2 || got[1].Attrib("type") != "get" || got[1].Attrib("from") != "localhost" ||
					got[1].Attrib("to") != "alice@localhost/a" || !strings.HasPrefix(got[1].Attrib("id"), "srv-") || got[1].Child("urn:xmpp:ping", "ping") == nil {
					t.Fatalf("got %v, want the result and the server's ping", got)
				}
				a.Send(`<iq type="result" id="` + got[1].Attrib("id") + `" to="localhost"/>`)
				if err := <-errs; err != nil {
					t.Fatalf("done got %v", err)
				}
				a.Expect(`<message from="localhost"><body>result</body></message>`)
			}
			a.Send(`<iq type="get" id="p" to="localhost"><ping xmlns="urn:xmpp:ping"/></iq>`)
			a.Expect(`<iq type="result" id="p" from="localhost"/>`)
		})
	}
}

// TestSendIQLaterClosed: an iq whose wait ended before it was built (the
// router closed) is not routed, and done gets ErrClosed once.
func TestSendIQLaterClosed(t *testing.T) {
	errs := make(chan error, 2)
	var rt *router.Router
	s := moduletest.New(t, laterAsker(&rt, errs))
	rt = s.Router
	alice := s.Login("alice@localhost/a")
	alice.Send(`<iq type="get" id="q" to="localhost"><ask xmlns="urn:example:asklater" do="close"/></iq>`)
	alice.Expect(`<iq type="result" id="q" from="localhost"/>`)
	if err := <-errs; !errors.Is(err, module.ErrClosed) {
		t.Fatalf("done got %v, want ErrClosed", err)
	}
	if len(errs) != 0 {
		t.Fatalf("done called again: %v", <-errs)
	}
}

const nsLaterFn = "urn:example:laterfn"

// laterFn answers <go xmlns='urn:example:laterfn'/> on accounts: it
// routes "0", leaves a reply for later whose build notes that it ran
// (taking the router's lock, which it could not hold), and a Later
// function that routes "1" once the build ran and goes on with another
// Later that routes "2"; with do="panic" the first Later panics.
func laterFn(rt **router.Router) module.Module {
	return module.New("laterfn", func(r *module.Registrar) error {
		r.IQ(module.IQ{To: module.ToAccount, Type: module.Get, Payload: xml.Name{Space: nsLaterFn, Local: "go"},
			Handle: func(q *module.Request) {
				do, from, name := q.Payload.Attrib("do"), q.From.String(), q.Account.Name()
				note := func(c module.Context, body string) {
					m := xmlnode.New("jabber:client", "message", "from", q.Account.JID().String(), "to", from)
					m.AddChild("jabber:client", "body").SetText(body)
					c.Route(m)
				}
				note(q.Context, "0")
				built := false
				res := q.Result()
				q.ReplyLater(func() *xmlnode.Element {
					(*rt).StateSize(name)
					built = true
					return res
				})
				q.Later(func(c module.Context) {
					if do == "panic" {
						panic("Later bug")
					}
					if !built {
						note(c, "the Later ran before the build")
						return
					}
					note(c, "1")
					c.Later(func(c module.Context) { note(c, "2") })
				})
			}})
		return nil
	})
}

// TestLater: a Later function runs after the stanza's span, once the
// lock was released (after a build that could not run with it held), in
// its order, and may go on in another; a panic in it is logged and the
// sender keeps being served.
func TestLater(t *testing.T) {
	var rt *router.Router
	s := moduletest.New(t, laterFn(&rt), ping.Module{})
	rt = s.Router
	alice := s.Login("alice@localhost/a")
	alice.Send(`<iq type="get" id="1" to="alice@localhost"><go xmlns="urn:example:laterfn"/></iq>`)
	alice.Expect(`<message from="alice@localhost"><body>0</body></message>`,
		`<iq type="result" id="1" from="alice@localhost"/>`,
		`<message from="alice@localhost"><body>1</body></message>`,
		`<message from="alice@localhost"><body>2</body></message>`)
	alice.Send(`<iq type="get" id="2" to="alice@localhost"><go xmlns="urn:example:laterfn" do="panic"/></iq>`)
	alice.Expect(`<message from="alice@localhost"><body>0</body></message>`,
		`<iq type="result" id="2" from="alice@localhost"/>`)
	alice.Send(`<iq type="get" id="p" to="localhost"><ping xmlns="urn:xmpp:ping"/></iq>`)
	alice.Expect(`<iq type="result" id="p" from="localhost"/>`)
}
