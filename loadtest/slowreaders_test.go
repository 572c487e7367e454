package loadtest_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/muctest/muctest/c2s"
	"github.com/muctest/muctest/client"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
	"github.com/muctest/muctest/xmlnode"
)

// TestGroupchatWithNonReadingOccupants is issue 11's MUC flood: a room
// where some occupants stop reading while the others exchange a flood of
// groupchat (40 such occupants and 72 MB once grew the server from 9 MB to
// 5.7 GB). Each non-reader's queue is bounded by c2s.Limits.MaxQueueBytes:
// it is disconnected with a resource-constraint stream error, every
// reading occupant receives every message in order, a pinging witness is
// served throughout, and the heap comes back once they are gone.
//
// MUCTEST_LOAD_SLOW sets the number of non-readers (default 6; the
// issue's figure is 40), MUCTEST_LOAD_MESSAGES the messages of 16 KiB each
// of the 4 readers sends (default 40).
func TestGroupchatWithNonReadingOccupants(t *testing.T) {
	nSlow := envInt(t, "MUCTEST_LOAD_SLOW", 6)
	perSender := envInt(t, "MUCTEST_LOAD_MESSAGES", 40)
	const nReaders = 4
	const room = "flood@conference.localhost"
	// 4 x 40 x 16 KiB = 2.5 MB for each occupant: more than the kernel's
	// buffers (fixed at 64 KiB each side) and the queue limit.
	pad := strings.Repeat("p", 16<<10)

	srv, err := server.New(server.Config{NoTLS: true, Limits: c2s.Limits{MaxQueueBytes: 512 << 10}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// Fixed send buffers on the server's side, so that a little over the
	// queue limit fills them (autotuned, they grow to 4 MB each).
	served := srv.Start(servertest.SendBuffers(ln, 64<<10))
	defer func() {
		if err := srv.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	addr := ln.Addr().String()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	base := heap(true)
	readers := make([]*member, nReaders)
	for i := range readers {
		readers[i] = &member{idx: i, nick: fmt.Sprintf("r%d", i), room: room, echo: make(chan int, perSender+1)}
		if err := connectAndJoin(ctx, addr, readers[i], i == 0); err != nil {
			t.Fatalf("reader %d: %v", i, err)
		}
	}
	slow := make([]*client.Conn, nSlow)
	gates := make([]*gatedConn, nSlow)
	for i := range slow {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		// A fixed receive buffer: a few megabytes fill the kernel's side.
		if err := nc.(*net.TCPConn).SetReadBuffer(64 << 10); err != nil {
			t.Fatal(err)
		}
		gates[i] = &gatedConn{Conn: nc}
		m := &member{nick: fmt.Sprintf("s%d", i), room: room}
		c, err := client.New(ctx, gates[i], client.Config{
			JID: m.nick + "@localhost", Password: "pw", Resource: "slow", Mechanism: "PLAIN", Timeout: time.Minute,
		})
		if err != nil {
			t.Fatal(err)
		}
		m.conn = c
		if err := joinOnly(ctx, m); err != nil {
			t.Fatalf("slow %d: %v", i, err)
		}
		slow[i] = c
		gates[i].slow.Store(true) // from now on it hardly reads
	}
	witness, err := client.Dial(ctx, addr, client.Config{JID: "witness@localhost", Password: "pw", Resource: "w", Mechanism: "PLAIN", Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	pings := startPinging(witness)

	// The flood: every reader sends perSender messages of 16 KiB and
	// checks it got every message, each sender's in order.
	start := time.Now()
	var wg sync.WaitGroup
	got := make([][]string, nReaders)
	readErr := make([]error, nReaders)
	var peak atomic.Uint64
	for i, r := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], readErr[i] = readGroupchat(ctx, r, nReaders*perSender)
		}()
	}
	// Each reader sends its next message once its last came back, as a
	// chat client does: the readers' queues stay short, the non-readers'
	// grow until the limit.
	sendErr := make(chan error, nReaders)
	for _, r := range readers {
		go func() {
			for s := 1; s <= perSender; s++ {
				if err := groupchat(r, fmt.Sprintf("%s %d %s", r.nick, s, pad)); err != nil {
					sendErr <- err
					return
				}
				select {
				case <-r.echo:
				case <-ctx.Done():
					sendErr <- ctx.Err()
					return
				}
				if s%20 == 0 {
					peak.Store(max(peak.Load(), heap(false)))
				}
			}
			sendErr <- nil
		}()
	}
	for range readers {
		if err := <-sendErr; err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	elapsed := time.Since(start)
	for i := range readers {
		if readErr[i] != nil {
			t.Fatalf("reader %d: %v", i, readErr[i])
		}
		next := map[string]int{}
		for _, b := range got[i] {
			nick, seq := parseBody(b)
			if seq != next[nick]+1 {
				t.Fatalf("reader %d: message %d from %s after %d", i, seq, nick, next[nick])
			}
			next[nick] = seq
		}
		if len(got[i]) != nReaders*perSender {
			t.Fatalf("reader %d got %d messages, want %d", i, len(got[i]), nReaders*perSender)
		}
	}
	// The non-readers read at full speed again: what the kernel held,
	// then the stream error.
	endCtx, endCancel := context.WithTimeout(ctx, 30*time.Second)
	defer endCancel()
	for i, c := range slow {
		gates[i].slow.Store(false)
		var se *client.StreamError
		for {
			_, err := c.RecvContext(endCtx)
			if err == nil {
				continue
			}
			// The server ends the stream with resource-constraint; one
			// whose client drained nothing for a second (a loaded
			// machine can stall the gated reader that long) is closed
			// without waiting to write the error. Either way it is gone,
			// and nothing else may end it.
			if errors.As(err, &se) && se.Condition != "resource-constraint" {
				t.Fatalf("non-reader %d: stream ended with %v, want a resource-constraint stream error", i, err)
			}
			if se == nil {
				t.Logf("non-reader %d: closed before the stream error could be written: %v", i, err)
			}
			break
		}
		_ = c.Close()
	}
	worst, n := pings.stop(t)
	for _, r := range readers {
		_ = r.conn.Close()
	}
	_ = witness.Close()
	if err := srv.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	after := heap(true)
	t.Logf("%d readers x %d messages of 16 KiB with %d non-readers: %v; witness %d pings, worst round trip %v; heap %.1f MB before, %.1f MB peak, %.1f MB after",
		nReaders, perSender, nSlow, elapsed.Round(time.Millisecond), n, worst.Round(time.Microsecond),
		float64(base)/(1<<20), float64(peak.Load())/(1<<20), float64(after)/(1<<20))
	if after > base+8<<20 {
		t.Errorf("heap %.1f MB after the flood, %.1f MB before", float64(after)/(1<<20), float64(base)/(1<<20))
	}
}

// heap returns the live heap, after two collections when gc is set.
func heap(gc bool) uint64 {
	if gc {
		// On one P: runtime.GC sweeps the heap itself, yielding after
		// every span, and with a second P idle each yield woke it to
		// find nothing to do, doubling the collections' CPU.
		p := runtime.GOMAXPROCS(1)
		runtime.GC()
		runtime.GC()
		runtime.GOMAXPROCS(p)
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// gatedConn is a connection whose reads, while slow is set, take 4 KiB
// per 10 ms: a client that has all but stopped reading (it still drains
// enough for the server's last write and stream error to reach it).
type gatedConn struct {
	net.Conn
	slow atomic.Bool
}

func (g *gatedConn) Read(p []byte) (int, error) {
	if g.slow.Load() {
		time.Sleep(10 * time.Millisecond) // pacing the reader, not synchronising
		p = p[:min(len(p), 4096)]
	}
	return g.Conn.Read(p)
}

// joinOnly joins m's room and waits for its own presence.
func joinOnly(ctx context.Context, m *member) error {
	if err := m.conn.SendRaw([]byte(`<presence to='` + m.room + `/` + m.nick + `'><x xmlns='` + nsMUC + `'/></presence>`)); err != nil {
		return err
	}
	for {
		st, err := m.conn.RecvContext(ctx)
		if err != nil {
			return err
		}
		if st.Name.Local == "presence" && st.Attrib("from") == m.room+"/"+m.nick {
			return nil
		}
	}
}

// readGroupchat collects n groupchat bodies.
func readGroupchat(ctx context.Context, m *member, n int) ([]string, error) {
	var got []string
	for len(got) < n {
		st, err := m.conn.RecvContext(ctx)
		if err != nil {
			return got, err
		}
		if st.Name.Local != "message" || st.Attrib("type") != "groupchat" {
			continue
		}
		if body := st.ChildText("jabber:client", "body"); body != "" { // not the subject
			// "nick seq": the padding is dropped, this is the client's heap.
			nick, seq := parseBody(strings.Join(strings.Fields(body)[:min(2, len(strings.Fields(body)))], " "))
			got = append(got, fmt.Sprintf("%s %d", nick, seq))
			if st.Attrib("from") == m.room+"/"+m.nick {
				m.echo <- len(got)
			}
		}
	}
	return got, nil
}

// pinger pings the server in a loop and records the worst round trip.
type pinger struct {
	stopc chan struct{}
	done  chan struct{}
	worst time.Duration
	n     int
	err   error
}

func startPinging(c *client.Conn) *pinger {
	p := &pinger{stopc: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		for i := 0; ; i++ {
			select {
			case <-p.stopc:
				return
			case <-time.After(5 * time.Millisecond): // pacing
			}
			id := fmt.Sprintf("p%d", i)
			t0 := time.Now()
			if err := c.Send(xmlnode.New("jabber:client", "iq", "type", "get", "id", id, "to", "localhost").
				Append(xmlnode.New("urn:xmpp:ping", "ping"))); err != nil {
				p.err = err
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			r, err := c.RecvContext(ctx)
			cancel()
			if err != nil || r.Attrib("id") != id {
				p.err = fmt.Errorf("ping %s: %v %v", id, r, err)
				return
			}
			p.worst = max(p.worst, time.Since(t0))
			p.n++
		}
	}()
	return p
}

func (p *pinger) stop(t *testing.T) (time.Duration, int) {
	t.Helper()
	close(p.stopc)
	<-p.done
	if p.err != nil {
		t.Fatalf("witness: %v", p.err)
	}
	return p.worst, p.n
}
