package hostile_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/c2s"
	"github.com/muctest/muctest/server"
)

// TestReadRateFlood is issue 11's CPU flood from one account at a time:
// mallory, on two connections, sends 1 KB messages to herself as fast as
// she can. The server must read her at her account's allowance
// (c2s.Limits.ReadRate), neither faster nor by disconnecting her, while
// the witnesses keep being served; and WaitIdle must not call the server
// idle while her throttled input is still unread. The bounds are on bytes:
// what the server has read of her, after any time t, is at most the burst
// plus t at the rate plus one read buffer per connection, whatever the
// machine's speed.
func TestReadRateFlood(t *testing.T) {
	t.Parallel() // a server of its own, nothing process-wide measured (doc.go)
	const rate, burst = 640 << 10, 16 << 10
	e := newEnv(t, server.Config{Limits: c2s.Limits{ReadRate: rate, ReadBurst: burst}})
	var conns []*raw
	for range 2 {
		r := dialRaw(t, e.srv)
		r.login("mallory")
		_ = r.Conn.SetDeadline(time.Now().Add(testTimeout))
		conns = append(conns, r)
	}
	// read is what the server has read of both of mallory's connections.
	read := func() int64 {
		var sum int64
		for _, r := range conns {
			n, _, ok := e.srv.ConnBytes(r.Conn.LocalAddr().String())
			if !ok {
				t.Fatalf("mallory's session %s is gone", r.JID)
			}
			sum += n
		}
		return sum
	}
	// Spend what is left of the burst after the login, so that the
	// allowance starts from empty: a stanza and its echo, in full.
	conns[0].Send(fmt.Sprintf("<message to='%s'><body>%s</body></message>", conns[0].JID, strings.Repeat("x", burst)))
	conns[0].Next()

	const perConn = 100 // messages of 1 KB on each connection
	body := strings.Repeat("m", 1000)
	stop := e.keepWitnessesTalking()
	start, base := time.Now(), read()
	written := make(chan int64, len(conns))
	for _, r := range conns {
		go func() {
			var b strings.Builder
			for i := range perConn {
				fmt.Fprintf(&b, "<message to='%s' id='m%d'><body>%s</body></message>", r.JID, i, body)
			}
			n, _ := r.Conn.Write([]byte(b.String()))
			written <- int64(n)
		}()
	}
	// Every echo is a moment to look at the count.
	slack := int64(burst + 2*4096)
	for _, r := range conns {
		for got := 0; got < perConn; {
			el, err := r.TryNext()
			if err != nil {
				t.Fatalf("mallory %s after %d echoes: %v", r.JID, got, err)
			}
			if el.Name.Local != "message" {
				continue
			}
			got++
			n := read() - base
			if allowed := slack + int64(time.Since(start).Seconds()*rate); n > allowed {
				t.Fatalf("after %d echoes the server had read %d bytes of mallory's flood, over the %d her allowance permits", got, n, allowed)
			}
		}
	}
	if err := stop(); err != nil {
		t.Fatalf("witnesses during the flood: %v", err)
	}
	var total int64
	for range conns {
		total += <-written
	}
	if got := read() - base; got != total {
		t.Fatalf("server read %d of the %d bytes mallory wrote", got, total)
	}

	// Throttled input counts for WaitIdle: it returns only once everything
	// mallory wrote has been read, although her session spends that time
	// waiting for its allowance, not busy.
	before := read()
	var b strings.Builder
	for i := range 60 {
		fmt.Fprintf(&b, "<message to='%s' id='w%d'><body>%s</body></message>", conns[1].JID, i, body)
	}
	conns[1].Send(b.String())
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	must(t, e.srv.WaitIdle(ctx))
	if got, want := read()-before, int64(b.Len()); got != want {
		t.Fatalf("WaitIdle returned with %d of mallory's %d bytes read", got, want)
	}
	for got := 0; got < 60; {
		if el := conns[1].Next(); el.Name.Local == "message" {
			got++
		}
	}
	// Still served, not disconnected, and the witnesses too.
	conns[0].Send("<iq type='get' id='alive'><ping xmlns='urn:xmpp:ping'/></iq>")
	if el := conns[0].Next(); el.Attrib("id") != "alive" || el.Attrib("type") != "result" {
		t.Fatalf("mallory's ping after the flood: %s", el)
	}
	e.checkWitnesses()
}
