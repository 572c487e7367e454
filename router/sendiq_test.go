package router_test

import (
	"errors"
	"testing"
	"time"

	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/moduletest"
	"github.com/muctest/muctest/xmlnode"
)

// asker sends a ping to whoever asks it with <ask/>, and reports the
// outcome to them in a message (and on done, for the test to wait on).
func asker(timeout time.Duration, done chan<- error) module.Module {
	return module.New("asker", func(r *module.Registrar) error {
		r.IQ(module.IQ{To: module.ToDomain, Type: module.Get, Payload: xmlName("urn:example:ask", "ask"),
			Handle: func(q *module.Request) {
				q.Reply(q.Result())
				ping := xmlnode.New("jabber:client", "iq", "type", "get", "to", q.From.String())
				ping.AddChild("urn:xmpp:ping", "ping")
				q.SendIQ(ping, timeout, func(c module.Context, reply *xmlnode.Element, err error) {
					outcome := "timeout"
					if err == nil {
						outcome = reply.Attrib("type")
					}
					m := xmlnode.New("jabber:client", "message", "from", c.Domain(), "to", q.From.String())
					m.AddChild("jabber:client", "body").SetText(outcome)
					c.Route(m)
					done <- err
				})
			}})
		return nil
	})
}

func TestSendIQ(t *testing.T) {
	done := make(chan error, 1)
	s := moduletest.New(t, asker(time.Hour, done))
	alice := s.Login("alice@localhost/a")
	alice.Send(`<iq type="get" id="q" to="localhost"><ask xmlns="urn:example:ask"/></iq>`)
	got := alice.Received()
	if len(got) != 2 || got[1].Attrib("type") != "get" {
		t.Fatalf("got %v, want the result and the server's ping", got)
	}
	// Someone else answering with the same id does not count.
	bob := s.Login("bob@localhost/b")
	bob.Send(`<iq type="result" id="` + got[1].Attrib("id") + `" to="localhost"/>`)
	alice.ExpectNothing()
	alice.Send(`<iq type="result" id="` + got[1].Attrib("id") + `" to="localhost"/>`)
	if err := <-done; err != nil {
		t.Fatalf("callback error %v", err)
	}
	alice.Expect(`<message from="localhost"><body>result</body></message>`)
}

func TestSendIQTimeout(t *testing.T) {
	done := make(chan error, 1)
	s := moduletest.New(t, asker(time.Millisecond, done))
	alice := s.Login("alice@localhost/a")
	alice.Send(`<iq type="get" id="q" to="localhost"><ask xmlns="urn:example:ask"/></iq>`)
	if err := <-done; !errors.Is(err, module.ErrTimeout) {
		t.Fatalf("callback error %v, want ErrTimeout", err)
	}
	alice.Expect(`<iq type="result" id="q"/>`, `<iq type="get"><ping xmlns="urn:xmpp:ping"/></iq>`,
		`<message from="localhost"><body>timeout</body></message>`)
}

func TestSendIQClosed(t *testing.T) {
	done := make(chan error, 1)
	s := moduletest.New(t, asker(time.Hour, done))
	alice := s.Login("alice@localhost/a")
	alice.Send(`<iq type="get" id="q" to="localhost"><ask xmlns="urn:example:ask"/></iq>`)
	_ = s.Router.Close()
	if err := <-done; !errors.Is(err, module.ErrClosed) {
		t.Fatalf("callback error %v, want ErrClosed", err)
	}
}
