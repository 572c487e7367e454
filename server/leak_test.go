package server_test

import (
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
)

// TestCloseLeavesNoGoroutines checks that Close waits for everything it
// started: accept loops, session readers and writers, bounce deliveries.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	srv, err := server.New(server.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := srv.Start(ln)
	a := dialRaw(t, srv).login("a", "")
	a.Send("<presence/>")
	a.Send(`<presence to="room@conference.localhost/a"><x xmlns="http://jabber.org/protocol/muc"/></presence>`)
	a.expect(`from="` + a.JID + `"`)
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
