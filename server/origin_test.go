package server_test

import (
	"net/netip"
	"sync"
	"testing"

	"github.com/muctest/muctest/component"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
	"github.com/muctest/muctest/xmlnode"
)

// originComponent records each stanza with the Origin the router gave it.
type originComponent struct {
	mu  sync.Mutex
	got []originSeen
}

type originSeen struct {
	st     *xmlnode.Element
	origin component.Origin
}

func (c *originComponent) HandleStanza(st *xmlnode.Element) {
	c.HandleStanzaFrom(st, component.Origin{Addr: netip.MustParseAddr("192.0.2.99")}) // never called: the router prefers HandleStanzaFrom
}

func (c *originComponent) HandleStanzaFrom(st *xmlnode.Element, o component.Origin) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, originSeen{st.Copy(), o})
}

func (c *originComponent) seen() []originSeen {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]originSeen(nil), c.got...)
}

// TestComponentOrigin: a component that is a component.OriginHandler gets
// the client's address with each stanza a client session sent it (however
// the stanza is dressed: nothing on the wire says it), and no address with
// a stanza the server built (the unavailable presence when the session
// ends).
func TestComponentOrigin(t *testing.T) {
	comp := &originComponent{}
	srv := servertest.New(t, server.Config{MUC: comp})
	c := dialRaw(t, srv).login("user", "")
	c.Send(`<presence to="room@conference.localhost/nick" origin="203.0.113.7"/>`)
	c.Send(`<message to="room@conference.localhost" type="groupchat"><body>hi</body></message>`)
	c.Send(`<iq type="get" id="d" to="conference.localhost"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`)
	idle(t, srv)
	got := comp.seen()
	if len(got) != 3 {
		t.Fatalf("component got %d stanzas, want 3", len(got))
	}
	loopback := netip.MustParseAddr("127.0.0.1")
	for _, g := range got {
		if g.origin.Addr != loopback {
			t.Errorf("%s came with origin %v, want %v", g.st, g.origin.Addr, loopback)
		}
	}
	c.Close()
	idle(t, srv)
	got = comp.seen()
	last := got[len(got)-1]
	if last.st.Attrib("type") != "unavailable" || last.origin.Addr.IsValid() {
		t.Errorf("the server's unavailable presence: %s with origin %v, want an invalid one", last.st, last.origin.Addr)
	}
}
