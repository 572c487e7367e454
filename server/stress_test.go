package server_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
)

// TestConcurrentSessions runs many sessions at once (presence, subscriptions,
// messages to bare and full JIDs, MUC joins, abrupt and clean disconnects,
// resource replacement) to shake out races and deadlocks under -race: the
// server must end idle and close cleanly.
func TestConcurrentSessions(t *testing.T) {
	srv := servertest.New(t, server.Config{})
	const n = 12
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := dialRaw(t, srv).login(fmt.Sprintf("u%d", i%6), "")
			peer := fmt.Sprintf("u%d@localhost", (i+1)%6)
			c.Send("<presence/>")
			c.Send(`<presence to="` + peer + `" type="subscribe"/>`)
			c.Send(`<presence to="` + peer + `" type="subscribed"/>`)
			c.Send(`<presence to="room@conference.localhost/nick` + fmt.Sprint(i) + `"><x xmlns="http://jabber.org/protocol/muc"/></presence>`)
			for k := range 20 {
				c.Send(fmt.Sprintf(`<message to="%s" type="chat"><body>%d</body></message>`, peer, k))
				c.Send(`<message to="room@conference.localhost" type="groupchat"><body>hi</body></message>`)
			}
			c.Send(`<iq type="get" id="r"><query xmlns="jabber:iq:roster"/></iq>`)
			if i%3 == 0 {
				c.Conn.Close() // abrupt
				return
			}
			c.Send("</stream:stream>")
			for {
				if _, err := c.TryNext(); err != nil {
					break
				}
			}
		}()
	}
	// Replace resources while the others run.
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := dialRaw(t, srv).login("dup", "same")
			a.Send("<presence/>")
			b := dialRaw(t, srv).login("dup", "same")
			b.Send("<presence/>")
		}()
	}
	wg.Wait()
	idle(t, srv)
}
