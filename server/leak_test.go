package server_test

import (
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
)

// startServer is servertest.New for tests of Close itself: it listens on
// loopback and returns the channel Start reports the accept loop's end on,
// and leaves closing to the test.
func startServer(t *testing.T, cfg server.Config) (*server.Server, <-chan error) {
	t.Helper()
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return srv, srv.Start(ln)
}

// TestCloseLeavesNoGoroutines checks that Close waits for everything it
// started: accept loops, session readers and writers, bounce deliveries.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	srv, done := startServer(t, server.Config{})
	a := dialRaw(t, srv).login("a", "")
	a.Send("<presence/>")
	a.Send(`<presence to="room@conference.localhost/a"><x xmlns="http://jabber.org/protocol/muc"/></presence>`)
	a.expect(`<presence from="` + a.JID + `"/>`)
	b := dialRaw(t, srv)
	b.Open(servertest.StreamHeader) // still negotiating
	c := dialRaw(t, srv).login("c", "")
	c.Send(`<message to="a@localhost" type="chat"><body>x</body></message>`)
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, r := range []*rawClient{a, b, c} {
		r.Conn.Close()
	}
	// Goroutines that called wg.Done may still be returning; give them a
	// bounded number of scheduling rounds, never a fixed sleep.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines after Close, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}

// TestCloseWithParkedSessions closes a server whose sessions have no
// goroutine of their own (parked in the poller): each must still get its
// 332 and system-shutdown, and nothing may be left running.
func TestCloseWithParkedSessions(t *testing.T) {
	before := runtime.NumGoroutine()
	srv, done := startServer(t, server.Config{ParkAfter: time.Microsecond})
	var clients []*rawClient
	for i, name := range []string{"a", "b", "c"} {
		c := dialRaw(t, srv).login(name, "")
		c.Send(`<presence to="room@conference.localhost/` + name + `"><x xmlns="http://jabber.org/protocol/muc"/></presence>`)
		for { // presences, then the subject that ends the join
			if el := c.Next(); el.Child("", "subject") != nil || el.Child("jabber:client", "subject") != nil {
				break
			}
		}
		if i == 0 {
			c.Send(`<iq type='set' id='create' to='room@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>`)
			c.expect(`<iq type="result" id="create" from="room@conference.localhost"/>`)
		}
		for _, o := range clients { // our join, seen by the others
			o.expect(`<presence from="room@conference.localhost/` + name + `"><x xmlns="http://jabber.org/protocol/muc#user" scansion:strict="false"/></presence>`)
		}
		clients = append(clients, c)
	}
	// Parked: only the accept loop and the poller are left running.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before+2 {
		t.Fatalf("%d goroutines with 3 idle sessions, want at most %d", n, before+2)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, c := range clients {
		var seen []string
		for {
			el, err := c.TryNext()
			if err != nil {
				break
			}
			seen = append(seen, el.String())
		}
		all := strings.Join(seen, "\n")
		if !strings.Contains(all, `code="332"`) || !strings.Contains(all, "system-shutdown") {
			t.Errorf("%s got %s; want a 332 presence and a system-shutdown stream error", c.JID, all)
		}
		c.Conn.Close()
	}
	deadline = time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines after Close, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}
