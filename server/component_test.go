package server_test

import (
	"net"
	"sync"
	"testing"

	"github.com/muctest/muctest/component"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
	"github.com/muctest/muctest/xmlnode"
)

// echoComponent stands in for the MUC service: it records what reaches it
// and answers every message with one addressed back to the sender, through
// the server's Router, while holding its own lock (as the real service may).
type echoComponent struct {
	mu     sync.Mutex
	router component.Router
	got    []*xmlnode.Element
}

func (e *echoComponent) HandleStanza(st *xmlnode.Element) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.got = append(e.got, st.Copy())
	if st.Name.Local == "message" && st.Attrib("type") != "error" {
		reply := xmlnode.New("jabber:client", "message", "from", st.Attrib("to"), "to", st.Attrib("from"), "type", "chat")
		reply.AddChild("jabber:client", "body").SetText("echo: " + st.ChildText("", "body"))
		e.router.Route(reply)
		// To a resource that does not exist: the error comes back to us
		// later, not while we hold our lock.
		gone := reply.Copy().SetAttr("to", "nobody@localhost/gone")
		gone.SetAttr("type", "groupchat")
		e.router.Route(gone)
	}
}

func (e *echoComponent) received() []*xmlnode.Element {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*xmlnode.Element(nil), e.got...)
}

func TestComponentSeam(t *testing.T) {
	echo := &echoComponent{}
	srv := servertest.New(t, server.Config{MUC: echo})
	echo.router = component.RouterFunc(srv.Route)

	c := dialRaw(t, srv).login("user", "")
	c.Send(`<presence to="room@conference.localhost/nick" from="spoof@localhost"/>`)
	c.Send(`<message to="room@conference.localhost" type="groupchat" from="spoof@localhost"><body>hi</body></message>`)
	c.expect(`<message from="room@conference.localhost" to="` + c.JID + `" type="chat"><body>echo: hi</body></message>`)
	idle(t, srv) // the bounce is delivered asynchronously; WaitIdle covers it

	got := echo.received()
	if len(got) != 3 {
		t.Fatalf("component got %d stanzas, want 3: %v", len(got), got)
	}
	for _, st := range got[:2] {
		if st.Attrib("from") != c.JID {
			t.Errorf("component got from=%q, want the stamped %q: %s", st.Attrib("from"), c.JID, st)
		}
	}
	if got[0].Child("vcard-temp:x:update", "x") == nil {
		t.Errorf("directed presence to the component lacks the vcard-temp:x:update marker: %s", got[0])
	}
	if got[2].Attrib("type") != "error" || got[2].Attrib("from") != "nobody@localhost/gone" {
		t.Errorf("want the service-unavailable bounce, got %s", got[2])
	}

	// Ending the session sends unavailable to the directed-presence target.
	c.Close()
	idle(t, srv)
	got = echo.received()
	last := got[len(got)-1]
	if last.Name.Local != "presence" || last.Attrib("type") != "unavailable" || last.Attrib("to") != "room@conference.localhost/nick" {
		t.Fatalf("last stanza to the component: %s, want unavailable to the room", last)
	}
}

// shutdownComponent records whether Close let it shut down first.
type shutdownComponent struct {
	echoComponent
	shutdown chan struct{}
}

func (c *shutdownComponent) Shutdown() { close(c.shutdown) }

func TestProbeToComponentAndShutdown(t *testing.T) {
	comp := &shutdownComponent{shutdown: make(chan struct{})}
	srv, err := server.New(server.Config{MUC: comp})
	if err != nil {
		t.Fatal(err)
	}
	comp.router = component.RouterFunc(srv.Route)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := srv.Start(ln)
	c := dialRaw(t, srv).login("user", "")
	c.Send(`<presence type="probe" to="room@conference.localhost/Nick"/>`)
	c.expectNothing()
	got := comp.received()
	if len(got) != 1 || got[0].Attrib("type") != "probe" || got[0].Attrib("to") != "room@conference.localhost/Nick" {
		t.Fatalf("component got %v, want the probe with the full JID", got)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	<-done
	select {
	case <-comp.shutdown:
	default:
		t.Fatal("Close did not call the component's Shutdown")
	}
}
