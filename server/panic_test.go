package server_test

import (
	"encoding/xml"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/muctest/muctest/component"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
	"github.com/muctest/muctest/xmlnode"
)

const internalError = `<error type="cancel"><internal-server-error xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error>`

// crashingRoom is a MUC-like component that panics on one body and echoes
// every other message, as a room reflects groupchat.
type crashingRoom struct {
	mu     sync.Mutex
	router component.Router
}

func (c *crashingRoom) HandleStanza(st *xmlnode.Element) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st.Name.Local != "message" || st.Attrib("type") == "error" {
		return
	}
	if st.ChildText("", "body") == "crash" {
		panic("room bug")
	}
	r := xmlnode.New("jabber:client", "message", "from", st.Attrib("to"), "to", st.Attrib("from"), "type", "groupchat")
	r.AddChild("jabber:client", "body").SetText(st.ChildText("", "body"))
	c.router.Route(r)
}

// TestPanicsOverTCP: a panicking module and a panicking MUC component in a
// real server: the senders get internal-server-error, the log gets the
// stack, and the server keeps serving them and everyone else.
func TestPanicsOverTCP(t *testing.T) {
	var logs servertest.LogBuffer
	room := &crashingRoom{}
	buggy := module.New("buggy", func(r *module.Registrar) error {
		r.IQ(module.IQ{To: module.ToDomain, Type: module.Get, Payload: xml.Name{Space: "urn:example:bug", Local: "q"},
			Handle: func(*module.Request) { panic("handler bug") }})
		return nil
	})
	srv := servertest.New(t, server.Config{MUC: room, Modules: []module.Module{buggy},
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	room.router = component.RouterFunc(srv.Route)
	a := dialRaw(t, srv).login("alice", "a")
	b := dialRaw(t, srv).login("bob", "b")

	a.Send(`<iq type="get" id="bug" to="localhost"><q xmlns="urn:example:bug"/></iq>`)
	a.expect(`<iq type="error" id="bug" from="localhost">` + internalError + `</iq>`)
	b.Send(`<message type="groupchat" id="c" to="r@conference.localhost"><body>crash</body></message>`)
	b.expect(`<message type="error" id="c" from="r@conference.localhost">` + internalError + `</message>`)

	for _, c := range []*rawClient{a, b} {
		c.Send(`<message type="groupchat" to="r@conference.localhost"><body>still</body></message>`)
		c.expect(`<message type="groupchat" from="r@conference.localhost"><body>still</body></message>`)
		c.Send(`<iq type="get" id="p" to="localhost"><ping xmlns="urn:xmpp:ping"/></iq>`)
		c.expect(`<iq type="result" id="p" from="localhost"/>`)
	}
	newcomer := dialRaw(t, srv).login("carol", "c")
	newcomer.Send(`<iq type="get" id="p" to="localhost"><ping xmlns="urn:xmpp:ping"/></iq>`)
	newcomer.expect(`<iq type="result" id="p" from="localhost"/>`)
	for _, want := range []string{"handler bug", "room bug", "panic_test.go"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the log does not show %q (the panic and its stack)", want)
		}
	}
}
