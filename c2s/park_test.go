//go:build linux

package c2s

import (
	"bufio"
	"io"
	"net"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"mellium.im/xmpp/stream"

	"github.com/muctest/muctest/netpoll"
)

// parkHarness is a session on a real TCP connection with a Poller, so that
// it parks whenever it has read everything.
type parkHarness struct {
	s      *Session
	client net.Conn
	r      *bufio.Reader
	h      *fakeHost
	busy   *counter
	poller *netpoll.Poller
	// loggedIn is when the test started logging in, for expireIdle.
	loggedIn time.Time
}

func newParkHarness(t *testing.T, lim Limits) *parkHarness {
	return newParkHarnessAfter(t, lim, time.Millisecond)
}

func newParkHarnessAfter(t *testing.T, lim Limits, parkAfter time.Duration) *parkHarness {
	t.Helper()
	conn, client := tcpPair(t)
	p, err := netpoll.New()
	if err != nil {
		t.Fatal(err)
	}
	h := &fakeHost{}
	busy := &counter{}
	cfg := &Config{Domain: "localhost", Auth: fakeAuth{}, Host: h, Busy: busy.add, Limits: lim, Poller: p, ParkAfter: parkAfter}
	ph := &parkHarness{s: New(conn, cfg), client: client, r: bufio.NewReader(client), h: h, busy: busy, poller: p}
	go ph.s.Run()
	t.Cleanup(func() {
		client.Close()
		<-ph.s.Done()
		p.Close()
	})
	return ph
}

// readUntil reads the client's input up to and including want.
func (ph *parkHarness) readUntil(t *testing.T, want string) string {
	t.Helper()
	ph.client.SetReadDeadline(time.Now().Add(10 * time.Second))
	var b strings.Builder
	for !strings.Contains(b.String(), want) {
		c, err := ph.r.ReadByte()
		if err != nil {
			t.Fatalf("reading up to %q: %v; got %q", want, err, b.String())
		}
		b.WriteByte(c)
	}
	return b.String()
}

// awaitParked waits, in bounded scheduling rounds, until the session waits
// in the Poller with no goroutine reading and counts as idle (its writer
// may still be finishing when the client has read its last output).
func (ph *parkHarness) awaitParked(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, neg := ph.busy.get()
		if neg {
			t.Fatal("the busy count went negative")
		}
		if ph.poller.Waiting() == 1 && ph.s.bits.parked() && n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the session did not park (busy %d)", n)
		}
		runtime.Gosched()
	}
}

func (ph *parkHarness) stanzas() int {
	ph.h.mu.Lock()
	defer ph.h.mu.Unlock()
	return len(ph.h.stanzas)
}

// awaitStanzas waits until the host has n stanzas, woken by each one
// (a wake the read allowance delays takes half a second: spinning
// through it was most of the package's CPU).
func (ph *parkHarness) awaitStanzas(t *testing.T, n int) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		got, grew := ph.h.stanzaCount()
		if got >= n {
			return
		}
		select {
		case <-grew:
		case <-timeout:
			t.Fatalf("host has %d stanzas, want %d", ph.stanzas(), n)
		}
	}
}

// awaitEnd waits for the session to end and checks the reason its host was
// given and that the busy count came back to zero.
func (ph *parkHarness) awaitEnd(t *testing.T, reason string) {
	t.Helper()
	select {
	case <-ph.s.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the session did not end")
	}
	ph.h.mu.Lock()
	closed := append([]string(nil), ph.h.closed...)
	ph.h.mu.Unlock()
	if len(closed) != 1 || closed[0] != reason {
		t.Errorf("Close reasons %q, want [%q]", closed, reason)
	}
	if n, neg := ph.busy.get(); n != 0 || neg {
		t.Errorf("busy count %d (negative: %v) after the end, want 0", n, neg)
	}
	if n := ph.poller.Waiting(); n != 0 {
		t.Errorf("%d registrations left in the Poller", n)
	}
}

func TestParkWakeAndClose(t *testing.T) {
	var kept atomic.Int32
	testHookPark = func(s *Session) {
		if s.dec != nil || s.in.small != nil || s.in.large != nil {
			kept.Add(1)
		}
	}
	t.Cleanup(func() { testHookPark = nil }) // after the harness's cleanup
	ph := newParkHarness(t, Limits{})
	io.WriteString(ph.client, login)
	ph.readUntil(t, "</iq>")
	for i := range 3 {
		ph.awaitParked(t)
		if kept.Load() != 0 {
			t.Fatal("a parked session kept its decoder or a read buffer")
		}
		// A stanza in two writes: the second half is read by the
		// goroutine the first half woke, blocked in Read meanwhile.
		io.WriteString(ph.client, " <message to='x@localhost'><bo")
		io.WriteString(ph.client, "dy>hi</body></message>")
		ph.awaitStanzas(t, i+1)
	}
	ph.awaitParked(t)
	io.WriteString(ph.client, "</stream:stream>")
	ph.readUntil(t, "</stream:stream>")
	ph.awaitEnd(t, "")
}

// TestParkReplaysHeader checks that the decoder a woken session builds sees
// the namespaces of the client's own header, prefixes included.
func TestParkReplaysHeader(t *testing.T) {
	hdr := `<s:stream xmlns:s='http://etherx.jabber.org/streams' xmlns='jabber:client' xmlns:e='urn:example' to='localhost' version='1.0'>`
	ph := newParkHarness(t, Limits{})
	io.WriteString(ph.client, hdr+
		`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AHVzZXIAcGFzcw==</auth>`+
		hdr+`<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>r</resource></bind></iq>`)
	ph.readUntil(t, "</iq>")
	ph.awaitParked(t)
	io.WriteString(ph.client, `<message to='x@localhost'><e:x a='1'/></message>`)
	ph.awaitStanzas(t, 1)
	ph.h.mu.Lock()
	got := ph.h.stanzas[0]
	ph.h.mu.Unlock()
	if got.Name.Space != NSClient || got.Child("urn:example", "x") == nil {
		t.Fatalf("stanza %s: want jabber:client with a urn:example child", got)
	}
	ph.awaitParked(t)
	io.WriteString(ph.client, "</s:stream>")
	ph.readUntil(t, "</stream:stream>")
	ph.awaitEnd(t, "")
}

// TestIdleTimeoutBeforeParking checks that a session waiting out ParkAfter
// in Read still ends at its idle deadline when that comes first. It sets
// no hook, so it waits out its timeout beside the other parallel tests.
func TestIdleTimeoutBeforeParking(t *testing.T) {
	t.Parallel()
	ph := newParkHarnessAfter(t, Limits{IdleTimeout: 200 * time.Millisecond}, time.Hour)
	io.WriteString(ph.client, login)
	ph.readUntil(t, "</iq>")
	ph.readUntil(t, "<connection-timeout")
	ph.awaitEnd(t, "connection-timeout")
	if ph.s.bits.parked() {
		t.Error("the session parked before ParkAfter")
	}
}

// TestGraceKeepsReading checks that input arriving within ParkAfter is read
// by the same goroutine, without parking.
func TestGraceKeepsReading(t *testing.T) {
	var parks atomic.Int32
	testHookPark = func(*Session) { parks.Add(1) }
	t.Cleanup(func() { testHookPark = nil }) // after the harness's cleanup
	ph := newParkHarnessAfter(t, Limits{}, time.Hour)
	io.WriteString(ph.client, login)
	ph.readUntil(t, "</iq>")
	for i := range 5 {
		io.WriteString(ph.client, "<message to='x@localhost'><body>hi</body></message>")
		ph.awaitStanzas(t, i+1)
	}
	if n := parks.Load(); n != 0 {
		t.Fatalf("parked %d times within ParkAfter", n)
	}
}

// TestParkedSessionEnds checks every way a parked session ends: the peer
// hangs up, the server closes it, or its idle timeout passes. The idle
// case runs with a timeout of an hour, so that the session surely parks
// first, and then does what the passing hour would (expireIdle) instead of
// waiting: no timing window between parking and expiry.
func TestParkedSessionEnds(t *testing.T) {
	tests := []struct {
		name   string
		limits Limits
		end    func(ph *parkHarness, t *testing.T)
		want   string // in the client's input
		reason string
	}{
		{"peer hangs up", Limits{}, func(ph *parkHarness, _ *testing.T) { ph.client.(*net.TCPConn).CloseWrite() }, "</stream:stream>", "connection closed"},
		{"server closes", Limits{}, func(ph *parkHarness, _ *testing.T) { ph.s.CloseWithError(stream.Conflict, "replaced") }, "<conflict", "connection closed"},
		{"idle timeout", Limits{IdleTimeout: time.Hour}, (*parkHarness).expireIdle, "<connection-timeout", "connection-timeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ph := newParkHarness(t, tc.limits)
			ph.loggedIn = time.Now()
			io.WriteString(ph.client, login)
			ph.readUntil(t, "</iq>")
			ph.awaitParked(t)
			tc.end(ph, t)
			ph.readUntil(t, tc.want)
			ph.awaitEnd(t, tc.reason)
		})
	}
}

// expireIdle does to a parked session what the passing of its
// Limits.IdleTimeout does, without waiting for it: the idle deadline is
// behind (for idleExpired and for the socket), and the idle timer, which
// must be armed for that deadline, fires (it is stopped and its function,
// wake, called in its stead). The session must then end as a timed-out one.
// The caller has seen the session parked, so the session's goroutine that
// armed the timer is done with it.
func (ph *parkHarness) expireIdle(t *testing.T) {
	t.Helper()
	s := ph.s
	if s.idleTimer == nil {
		t.Fatal("a session with an idle timeout parked without an idle timer")
	}
	// The deadline was set at bind or later, IdleTimeout after.
	if lo, hi := ph.loggedIn.Add(s.limits.IdleTimeout), time.Now().Add(s.limits.IdleTimeout); s.idleAt.Before(lo) || s.idleAt.After(hi) {
		t.Fatalf("idle deadline %v, want between %v and %v", s.idleAt, lo, hi)
	}
	if !s.idleTimer.Stop() {
		t.Fatal("the idle timer had already fired or been stopped")
	}
	s.idleAt = time.Now().Add(-time.Nanosecond)
	if err := s.raw.SetReadDeadline(s.idleAt); err != nil {
		t.Fatal(err)
	}
	s.wakeFn()
}

// TestIdleExpiresWhileParking makes the idle timer fire at the worst
// moment: after park armed it and before the session counts as parked, so
// that its wake finds nothing to wake. The session must still end with
// connection-timeout rather than stay parked for ever with its timer
// spent. The test hook, which runs in that gap, does what the deadline's
// passing does there: deadline behind, timer fired.
func TestIdleExpiresWhileParking(t *testing.T) {
	var fired atomic.Bool
	testHookPark = func(s *Session) {
		if s.idleTimer == nil || fired.Swap(true) {
			return
		}
		s.idleAt = time.Now().Add(-time.Nanosecond)
		_ = s.raw.SetReadDeadline(s.idleAt)
		s.idleTimer.Stop()
		s.wakeFn()
	}
	t.Cleanup(func() { testHookPark = nil }) // after the harness's cleanup
	ph := newParkHarness(t, Limits{IdleTimeout: time.Hour})
	io.WriteString(ph.client, login)
	ph.readUntil(t, "</iq>")
	ph.readUntil(t, "<connection-timeout")
	ph.awaitEnd(t, "connection-timeout")
	if !fired.Load() {
		t.Fatal("the session never parked")
	}
}
