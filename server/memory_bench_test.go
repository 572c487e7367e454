package server_test

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"testing"
	"time"

	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
)

// BenchmarkSessionMemory measures what one connected client costs the
// server in live Go memory (heap in use plus goroutine stacks, after a GC),
// at three moments: logged in and idle, joined to a MUC room, and after the
// room carried a burst of groupchat messages (the moment the per-session
// read and write buffers have grown). The timed part is the burst alone, so
// ns/op is the CPU-bound cost of the fan-out next to the memory numbers.
//
// Client and server share the process, so the clients are kept as thin as
// possible: after login each holds only its net.Conn (its XML decoder is
// dropped), and the goroutines that drain the burst exit before memory is
// read. What remains of the client side is a few hundred bytes per
// connection.
//
// SESSION_MEMPROFILE=file writes a heap profile (every allocation sampled)
// after the burst, to see what the numbers are made of.
func BenchmarkSessionMemory(b *testing.B) {
	const occupants, messages = 100, 5
	profile := os.Getenv("SESSION_MEMPROFILE")
	if profile != "" {
		runtime.MemProfileRate = 1
	}
	var idleB, joinedB, burstB, burstStack, goroutines float64
	for b.Loop() {
		b.StopTimer()
		// Sessions park (no goroutine, no buffers) 1ms after their last
		// input rather than c2s's default 25ms, so that settle finds them
		// parked.
		srv := servertest.New(b, server.Config{ParkAfter: time.Millisecond})
		base := liveMemory()
		baseStack := stackInuse()
		baseG := runtime.NumGoroutine()
		clients := make([]*rawClient, occupants)
		for i := range clients {
			c := dialRaw(b, srv).login(fmt.Sprintf("user%d", i), "")
			c.Dec = nil // keep only the socket on the client side
			clients[i] = c
		}
		settle(b, srv, clients)
		idleB = float64(liveMemory()-base) / occupants
		goroutines = float64(runtime.NumGoroutine()-baseG) / occupants

		for i, c := range clients {
			c.Send(fmt.Sprintf(`<presence to='bench@conference.localhost/n%d'><x xmlns='http://jabber.org/protocol/muc'/></presence>`, i))
			if i == 0 {
				// The creator makes it an instant room before anyone else
				// joins.
				c.Send(`<iq type='set' id='create' to='bench@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>`)
				settle(b, srv, clients[:1])
			}
		}
		settle(b, srv, clients)
		joinedB = float64(liveMemory()-base) / occupants

		msg := []byte(`<message to='bench@conference.localhost' type='groupchat'><body>a message of a typical size, about sixty bytes of text</body></message>`)
		burstMsgs := bytes.Repeat(msg, messages)
		b.StartTimer()
		var wg sync.WaitGroup
		for _, c := range clients {
			wg.Go(func() { drain(c, []byte("</message>"), occupants*messages) })
		}
		for _, c := range clients {
			if _, err := c.Conn.Write(burstMsgs); err != nil {
				b.Fatal(err)
			}
		}
		wg.Wait()
		b.StopTimer()
		settle(b, srv, clients)
		burstB = float64(liveMemory()-base) / occupants
		burstStack = float64(stackInuse()-baseStack) / occupants
		runtime.KeepAlive(clients)
		if profile != "" {
			writeHeap(b, profile)
		}
		for _, c := range clients {
			c.Conn.Close()
		}
		if err := srv.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(idleB, "idle-B/session")
	b.ReportMetric(joinedB, "joined-B/session")
	b.ReportMetric(burstB, "burst-B/session")
	b.ReportMetric(burstStack, "burst-stack-B/session")
	b.ReportMetric(goroutines, "goroutines/session")
}

// settle waits until the server is idle and every client has read all it
// was sent: each pings the server and reads (concurrently, so that no
// server write waits for a reader) up to the answer.
func settle(b *testing.B, srv *server.Server, clients []*rawClient) {
	b.Helper()
	idle(b, srv)
	var wg sync.WaitGroup
	for _, c := range clients {
		c.Send(`<iq type='get' id='settled' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`)
		wg.Go(func() { drain(c, []byte("settled"), 1) })
	}
	wg.Wait()
	idle(b, srv)
	// Give idle readers the time to park: a bounded number of scheduling
	// rounds until the goroutine count stops falling.
	deadline := time.Now().Add(time.Second)
	for n := runtime.NumGoroutine(); time.Now().Before(deadline); {
		time.Sleep(2 * time.Millisecond)
		m := runtime.NumGoroutine()
		if m == n {
			break
		}
		n = m
	}
}

// drain reads from c until pat was seen n times. pat's first byte must not
// recur in it, so that the matcher never has to backtrack.
func drain(c *rawClient, pat []byte, n int) {
	buf := make([]byte, 4096)
	seen, j := 0, 0
	for seen < n {
		m, err := c.Conn.Read(buf)
		if err != nil {
			c.t.Errorf("drain: %v", err)
			return
		}
		for _, ch := range buf[:m] {
			switch {
			case ch == pat[j]:
				j++
			case ch == pat[0]:
				j = 1
			default:
				j = 0
			}
			if j == len(pat) {
				seen, j = seen+1, 0
			}
		}
	}
}

// liveMemory is the process's live Go memory after a GC: heap spans in use
// plus goroutine stacks. The second GC frees the stacks of goroutines that
// exited before the first.
func liveMemory() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse + m.StackInuse)
}

func writeHeap(b *testing.B, name string) {
	f, err := os.Create(name)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		b.Fatal(err)
	}
}

// stackInuse is the part of liveMemory taken by goroutine stacks.
func stackInuse() int64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.StackInuse)
}
