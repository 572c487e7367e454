package loadtest_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/muctest/muctest/client"
	"github.com/muctest/muctest/quota"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/xmlnode"
)

const (
	nsMUC     = "http://jabber.org/protocol/muc"
	nsMUCUser = "http://jabber.org/protocol/muc#user"
	endBody   = "END"
)

// envInt reads a positive integer from the environment, or def.
func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// member is one client of the test.
type member struct {
	idx     int
	nick    string
	room    string
	conn    *client.Conn
	disrupt bool // aborts mid-stanza after cut messages
	cut     int

	got     []string      // "nick seq" of every groupchat body, in order
	errs    []string      // error stanzas received
	echo    chan int      // own messages seen reflected, by seq
	readErr error         // why the reader stopped (nil after END)
	done    chan struct{} // reader finished
}

// TestGroupchatUnderFaults is the issue-6 load test: N clients in 10
// rooms, each sending M groupchat messages; every 10th member of each room
// instead sends fewer, then part of a stanza, and closes its TCP
// connection.
//
// It runs twice: with the server's defaults, and with sessions parking
// after 1us without input, so that nearly every stanza of the load also
// goes through c2s's park and wake-up path, next to the aborts. The second
// run has half the clients (100: ten a room, one of them aborting): every
// one of its sessions still parks and wakes for nearly every stanza it
// reads or sends, under the same concurrency of senders, and the room's
// fan-out (what the CPU goes to) shrinks fourfold. MUCTEST_LOAD_CLIENTS
// sets both.
func TestGroupchatUnderFaults(t *testing.T) {
	for _, tc := range []struct {
		name      string
		parkAfter time.Duration
		clients   int
	}{{"default", 0, 200}, {"park-always", time.Microsecond, 100}} {
		t.Run(tc.name, func(t *testing.T) { groupchatUnderFaults(t, tc.parkAfter, tc.clients) })
	}
}

func groupchatUnderFaults(t *testing.T, parkAfter time.Duration, defClients int) {
	nClients := envInt(t, "MUCTEST_LOAD_CLIENTS", defClients)
	perSender := envInt(t, "MUCTEST_LOAD_MESSAGES", 10)
	const nRooms = 10
	if testing.Short() {
		nClients, perSender = 50, 5
	}

	before := runtime.NumGoroutine()
	start := time.Now()

	// Every client connects and logs in from loopback: no per-address caps.
	srv, err := server.New(server.Config{NoTLS: true, ParkAfter: parkAfter, MaxConnsPerIP: -1,
		Quotas: quota.Limits{AccountsPerIPPerMinute: -1}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := srv.Start(ln)
	addr := ln.Addr().String()
	closed := false
	closeServer := func() {
		if closed {
			return
		}
		closed = true
		if err := srv.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	}
	defer closeServer()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	members := make([]*member, nClients)
	for i := range members {
		m := &member{
			idx:  i,
			nick: fmt.Sprintf("u%04d", i),
			room: fmt.Sprintf("room%d@conference.localhost", i%nRooms),
			echo: make(chan int, perSender+1),
			done: make(chan struct{}),
		}
		// Every 10th member of each room (never the first, which closes
		// the exchange) disconnects after a varying number of messages.
		if k := i / nRooms; k%10 == 3 {
			m.disrupt = true
			m.cut = (i / 7) % perSender
		}
		members[i] = m
	}
	defer func() {
		for _, m := range members {
			if m.conn != nil {
				_ = m.conn.Abort()
			}
		}
	}()

	// Connect and join, a bounded number at a time. The first member of
	// each room creates it; everyone waits for its own self-presence.
	parallel(t, members[:nRooms], 10, func(m *member) error { return connectAndJoin(ctx, addr, m, true) })
	parallel(t, members[nRooms:], 50, func(m *member) error { return connectAndJoin(ctx, addr, m, false) })
	joined := time.Since(start)

	// One reader per member records the groupchat bodies it receives.
	for _, m := range members {
		go m.read(ctx)
	}

	var wg sync.WaitGroup
	roomSenders := make([]sync.WaitGroup, nRooms)
	sendStart := time.Now()
	for _, m := range members {
		wg.Add(1)
		roomSenders[m.idx%nRooms].Add(1)
		go func() {
			defer wg.Done()
			defer roomSenders[m.idx%nRooms].Done()
			if err := m.send(ctx, perSender); err != nil {
				t.Errorf("%s: %v", m.nick, err)
			}
		}()
	}
	// When every sender of a room has seen its own last message come
	// back (so all of them are routed), the room's first member sends
	// END: it is the last groupchat message of the room for everyone.
	for r := range nRooms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			roomSenders[r].Wait()
			if err := groupchat(members[r], endBody); err != nil {
				t.Errorf("END in room %d: %v", r, err)
			}
		}()
	}
	wg.Wait()
	for _, m := range members {
		select {
		case <-m.done:
		case <-ctx.Done():
			t.Fatalf("%s: reader did not finish: %v", m.nick, ctx.Err())
		}
	}
	exchange := time.Since(sendStart)

	// Check every staying member against what was sent.
	expected := map[string]int{} // nick -> messages fully sent
	stay := 0
	for _, m := range members {
		if m.disrupt {
			expected[m.nick] = m.cut
		} else {
			expected[m.nick] = perSender
			stay++
		}
	}
	var lost, dup, reordered, delivered, sent int
	for _, n := range expected {
		sent += n
	}
	orders := make([][]string, nRooms) // the room order seen by its first member
	for _, m := range members {
		if m.disrupt {
			continue
		}
		if m.readErr != nil {
			t.Errorf("%s: reader: %v", m.nick, m.readErr)
		}
		for _, e := range m.errs {
			t.Errorf("%s: error stanza %s", m.nick, e)
		}
		delivered += len(m.got)
		next := map[string]int{}
		seen := map[string]bool{}
		for _, g := range m.got {
			nick, seq := parseBody(g)
			if seen[g] {
				dup++
				continue
			}
			seen[g] = true
			if seq != next[nick]+1 {
				reordered++
			}
			next[nick] = max(next[nick], seq)
		}
		for _, o := range members {
			if o.idx%nRooms != m.idx%nRooms {
				continue
			}
			for s := 1; s <= expected[o.nick]; s++ {
				if !seen[fmt.Sprintf("%s %d", o.nick, s)] {
					lost++
				}
			}
		}
		r := m.idx % nRooms
		if orders[r] == nil {
			orders[r] = m.got
		} else if !slices.Equal(orders[r], m.got) {
			t.Errorf("%s sees a different order of room%d than %s", m.nick, r, members[r].nick)
		}
	}
	if lost+dup+reordered > 0 {
		t.Errorf("lost %d, duplicated %d, reordered %d", lost, dup, reordered)
	}

	// Close: staying clients with the closing handshake, then the server;
	// every goroutine must be gone.
	for _, m := range members {
		if !m.disrupt {
			if err := m.conn.Close(); err != nil {
				t.Errorf("%s: close: %v", m.nick, err)
			}
		}
	}
	closeServer()
	after := settle(before)
	t.Logf("clients %d (%d stayed, %d aborted mid-stanza), rooms %d, groupchat messages sent %d, delivered to staying clients %d; "+
		"connect+join %v, exchange %v, total %v; lost %d, duplicated %d, reordered %d; goroutines before %d, after Close %d",
		nClients, stay, nClients-stay, nRooms, sent, delivered, joined.Round(time.Millisecond), exchange.Round(time.Millisecond),
		time.Since(start).Round(time.Millisecond), lost, dup, reordered, before, after)
	if after > before {
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		t.Errorf("goroutine leak: %d before, %d after Close\n%s", before, after, buf[:n])
	}
}

// settle polls the goroutine count until it is back to want (goroutines
// end asynchronously after Close returns, e.g. the clients' readers), for
// at most a few seconds, and returns the last count.
func settle(want int) int {
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= want || time.Now().After(deadline) {
			return n
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond) // a poll interval, not a synchronisation
	}
}

func parallel(t *testing.T, ms []*member, width int, f func(*member) error) {
	t.Helper()
	sem := make(chan struct{}, width)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for _, m := range ms {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := f(m); err != nil {
				mu.Lock()
				if first == nil {
					first = fmt.Errorf("%s: %w", m.nick, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if first != nil {
		t.Fatal(first)
	}
}

func connectAndJoin(ctx context.Context, addr string, m *member, creator bool) error {
	c, err := client.Dial(ctx, addr, client.Config{
		JID: m.nick + "@localhost", Password: "pw", Resource: "load", Mechanism: "PLAIN", Timeout: time.Minute,
	})
	if err != nil {
		return err
	}
	m.conn = c
	if err := c.SendRaw([]byte(`<presence to='` + m.room + `/` + m.nick + `'><x xmlns='` + nsMUC + `'/></presence>`)); err != nil {
		return err
	}
	for {
		st, err := c.RecvContext(ctx)
		if err != nil {
			return fmt.Errorf("join: %w", err)
		}
		if st.Attrib("type") == "error" {
			return fmt.Errorf("join: %s", st)
		}
		if st.Name.Local != "presence" || st.Attrib("from") != m.room+"/"+m.nick {
			continue
		}
		if !creator {
			return nil
		}
		// An instant room: accept the default configuration.
		if err := c.SendRaw([]byte(`<iq type='set' id='cfg' to='` + m.room + `'><query xmlns='http://jabber.org/protocol/muc#owner'>` +
			`<x xmlns='jabber:x:data' type='submit'/></query></iq>`)); err != nil {
			return err
		}
		for {
			st, err := c.RecvContext(ctx)
			if err != nil {
				return fmt.Errorf("configure: %w", err)
			}
			if st.Attrib("id") == "cfg" {
				if st.Attrib("type") != "result" {
					return fmt.Errorf("configure: %s", st)
				}
				return nil
			}
		}
	}
}

func groupchat(m *member, body string) error {
	st := xmlnode.New("jabber:client", "message", "type", "groupchat", "to", m.room)
	st.AddChild("jabber:client", "body").SetText(body)
	return m.conn.Send(st)
}

// send sends the member's messages. A staying member sends perSender and
// waits until its last one comes back; a disrupting one sends cut, waits
// for the last echo (so that they are all routed), writes half a stanza
// and closes the socket.
func (m *member) send(ctx context.Context, perSender int) error {
	n := perSender
	if m.disrupt {
		n = m.cut
	}
	for s := 1; s <= n; s++ {
		if err := groupchat(m, fmt.Sprintf("%s %d", m.nick, s)); err != nil {
			return err
		}
	}
	if n > 0 {
		for {
			select {
			case s := <-m.echo:
				if s < n {
					continue
				}
			case <-ctx.Done():
				return fmt.Errorf("waiting for own message %d: %w", n, ctx.Err())
			}
			break
		}
	}
	if m.disrupt {
		// Cut a whole stanza at a point that depends on the member, from
		// inside the first tag to just before the last '>'.
		whole := `<message type='groupchat' to='` + m.room + `'><body>` + m.nick + ` half</body></message>`
		cut := 1 + m.idx*7%(len(whole)-1)
		_ = m.conn.SendRaw([]byte(whole[:cut]))
		return m.conn.Abort()
	}
	return nil
}

// read records groupchat bodies until the room's END (or, for a disrupting
// member, until its connection is gone).
func (m *member) read(ctx context.Context) {
	defer close(m.done)
	self := m.room + "/" + m.nick
	for {
		st, err := m.conn.RecvContext(ctx)
		if err != nil {
			if !m.disrupt {
				m.readErr = err
			}
			return
		}
		if st.Attrib("type") == "error" {
			m.errs = append(m.errs, st.String())
			continue
		}
		if st.Name.Local != "message" || st.Attrib("type") != "groupchat" {
			continue
		}
		body := st.ChildText("jabber:client", "body")
		if body == "" {
			continue // the subject
		}
		if body == endBody {
			return
		}
		nick, seq := parseBody(body)
		if st.Attrib("from") != m.room+"/"+nick {
			m.errs = append(m.errs, "wrong sender: "+st.String())
		}
		m.got = append(m.got, body)
		if st.Attrib("from") == self {
			m.echo <- seq
		}
	}
}

func parseBody(b string) (nick string, seq int) {
	nick, s, _ := strings.Cut(b, " ")
	seq, _ = strconv.Atoi(s)
	return nick, seq
}
