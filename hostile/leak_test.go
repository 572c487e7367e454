package hostile_test

import (
	"fmt"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/c2s"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
	"github.com/muctest/muctest/xmlnode"
)

// TestNoGoroutineLeftAfterAttacks leaves a server in the worst state the
// other tests create — connections refused by rate, half-open before the
// header, half a stanza then a hang-up, a broken TLS handshake, a client
// whose writes are blocked because it never reads — and checks that Close
// still returns and every goroutine of the server ends.
func TestNoGoroutineLeftAfterAttacks(t *testing.T) {
	before := runtime.NumGoroutine()
	srv, err := server.New(server.Config{
		Accounts: accounts,
		ConnRate: server.RateLimit{Burst: 8, Per: time.Hour},
		Limits:   c2s.Limits{WriteTimeout: 300 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := srv.Start(servertest.SendBuffers(ln, smallSendBufferBytes)) // a slow reader blocks the server's writes after a few stanzas
	e := &env{t: t, srv: srv}
	var conns []net.Conn
	keep := func(r *raw) *raw { conns = append(conns, r.Conn); return r }

	// Silent before the header, and silent after it.
	keep(dialRaw(t, srv))
	keep(dialRaw(t, srv)).open()
	// Half a stanza, then a hang-up.
	r := keep(dialRaw(t, srv))
	r.login("mallory")
	r.Send("<message to='bob@localhost'><bo")
	_ = r.Conn.Close()
	// Garbage after <proceed/>.
	r = keep(dialRaw(t, srv))
	r.open()
	r.Send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
	r.Next()
	r.Send("not tls at all")
	// A reader that never reads, flooded by a witness.
	slow := keep(dialRaw(t, srv))
	must(t, slow.Conn.(*net.TCPConn).SetReadBuffer(4096))
	slowJID := slow.login("eve")
	e.alice = e.dial("alice", "witness")
	e.bob = e.dial("bob", "witness")
	chunk := strings.Repeat("z", 16<<10)
	// Headlines: once the slow client is dropped, the rest of the flood is
	// not stored offline, where past the quota alice would get bounces.
	// 2.4 MB: many times what the small buffers hold.
	for i := range 150 {
		st := xmlnode.New("jabber:client", "message", "type", "headline", "to", slowJID)
		st.AddChild("jabber:client", "body").SetText(fmt.Sprintf("%d %s", i, chunk))
		must(t, e.alice.Send(st))
	}
	e.checkWitnesses()
	// Over the connection rate (8: the seven above and one more).
	keep(dialRaw(t, srv))
	over := keep(dialRaw(t, srv))
	over.ReadHeader()
	over.wantStreamError("policy-violation")
	e.checkWitnesses()

	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	for _, c := range conns {
		_ = c.Close()
	}
	_ = e.alice.Abort()
	_ = e.bob.Abort()
	deadline := time.Now().Add(10 * time.Second)
	after := runtime.NumGoroutine()
	for after > before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond) // polling for goroutines to finish, not synchronising
		after = runtime.NumGoroutine()
	}
	if after > before {
		buf := make([]byte, 1<<20)
		t.Fatalf("goroutines: %d before, %d after Close\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
}
