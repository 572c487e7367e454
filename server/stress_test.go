package server_test

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
	"github.com/muctest/muctest/xmlnode"
)

// TestConcurrentSessions runs many sessions at once (presence, subscriptions,
// messages to bare and full JIDs, MUC joins, abrupt and clean disconnects,
// resource replacement) to shake out races and deadlocks under -race. The
// sessions log in from the test's goroutine; the goroutines only write and
// read, and report what they saw, which the test then checks: every clean
// session got its roster and the server's closing tag, every replaced
// session a conflict stream error, and the server ends idle and still
// serves a newcomer.
func TestConcurrentSessions(t *testing.T) {
	srv := servertest.New(t, server.Config{})
	const n = 12
	type result struct {
		name     string
		abrupt   bool
		got      []*xmlnode.Element
		writeErr error
		readErr  error
	}
	results := make([]result, n)
	clients := make([]*rawClient, n)
	for i := range n {
		clients[i] = dialRaw(t, srv).login(fmt.Sprintf("u%d", i%6), "")
	}
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := &results[i]
			res.name, res.abrupt = c.JID, i%3 == 0
			peer := fmt.Sprintf("u%d@localhost", (i+1)%6)
			var b strings.Builder
			b.WriteString("<presence/>")
			b.WriteString(`<presence to="` + peer + `" type="subscribe"/>`)
			b.WriteString(`<presence to="` + peer + `" type="subscribed"/>`)
			b.WriteString(`<presence to="room@conference.localhost/nick` + fmt.Sprint(i) + `"><x xmlns="http://jabber.org/protocol/muc"/></presence>`)
			for k := range 20 {
				fmt.Fprintf(&b, `<message to="%s" type="chat"><body>%d</body></message>`, peer, k)
				b.WriteString(`<message to="room@conference.localhost" type="groupchat"><body>hi</body></message>`)
			}
			b.WriteString(`<iq type="get" id="r"><query xmlns="jabber:iq:roster"/></iq>`)
			if res.abrupt {
				_, res.writeErr = io.WriteString(c.Conn, b.String())
				_ = c.Conn.Close()
				return
			}
			b.WriteString("</stream:stream>")
			_, res.writeErr = io.WriteString(c.Conn, b.String())
			for {
				el, err := c.TryNext()
				if err != nil {
					res.readErr = err
					return
				}
				res.got = append(res.got, el)
			}
		}()
	}
	// Replace resources while the others run (RFC 6120 7.7.2.2).
	const dups = 4
	replaced := make([]error, dups)
	olds := make([]*rawClient, dups)
	for d := range dups {
		olds[d] = dialRaw(t, srv).login("dup", fmt.Sprint("same", d))
		olds[d].Send("<presence/>")
	}
	for d := range dups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				el, err := olds[d].TryNext()
				if err != nil {
					replaced[d] = fmt.Errorf("no conflict stream error before %w", err)
					return
				}
				if el.Name.Local == "error" && el.Child("urn:ietf:params:xml:ns:xmpp-streams", "conflict") != nil {
					return
				}
			}
		}()
	}
	for d := range dups {
		b := dialRaw(t, srv).login("dup", fmt.Sprint("same", d))
		b.Send("<presence/>")
	}
	wg.Wait()
	idle(t, srv)

	for d, err := range replaced {
		if err != nil {
			t.Errorf("replaced session %d: %v", d, err)
		}
	}
	for _, res := range results {
		if res.writeErr != nil {
			t.Errorf("%s: write: %v", res.name, res.writeErr)
		}
		if res.abrupt {
			continue
		}
		if res.readErr != io.EOF {
			t.Errorf("%s: the stream ended with %v, want the server's </stream:stream>", res.name, res.readErr)
		}
		roster := false
		for _, el := range res.got {
			if el.Name.Local == "iq" && el.Attrib("id") == "r" && el.Attrib("type") == "result" && el.Child("jabber:iq:roster", "query") != nil {
				roster = true
			}
		}
		if !roster {
			t.Errorf("%s: no roster result among %d stanzas", res.name, len(res.got))
		}
	}
	// Still serving.
	c := dialRaw(t, srv).login("late", "")
	c.Send(`<iq type="get" id="p" to="localhost"><ping xmlns="urn:xmpp:ping"/></iq>`)
	c.expect(`<iq type="result" id="p" from="localhost"/>`)
}
