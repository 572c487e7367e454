package c2s

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"mellium.im/xmpp/stream"
)

// rateSession is a session on a pipe with the given Limits, logged in, for
// the read allowance tests. It must be called inside a synctest bubble.
type rateSession struct {
	s      *Session
	client net.Conn
	r      *bufio.Reader
	h      *fakeHost
	busy   *counter
}

func newRateSession(t *testing.T, lim Limits) *rateSession {
	t.Helper()
	h, busy := &fakeHost{}, &counter{}
	return newRateSessionConfig(t, &Config{Domain: "localhost", Auth: fakeAuth{}, Host: h, Busy: busy.add, Limits: lim}, h, busy)
}

// newRateSessionConfig is newRateSession with cfg, whose Host is h and
// whose Busy counts in busy.
func newRateSessionConfig(t *testing.T, cfg *Config, h *fakeHost, busy *counter) *rateSession {
	t.Helper()
	return newRateSessionAs(t, cfg, h, busy, login)
}

// newRateSessionAs is newRateSessionConfig logging in with the pipelined
// negotiation login.
func newRateSessionAs(t *testing.T, cfg *Config, h *fakeHost, busy *counter, login string) *rateSession {
	t.Helper()
	server, client := net.Pipe()
	rs := &rateSession{client: client, h: h, busy: busy}
	rs.s = New(server, cfg)
	go rs.s.Run()
	rs.r = bufio.NewReader(client)
	go io.WriteString(client, login)
	readUpTo(t, rs.r, "</iq>")
	// The client reads everything from now on, as a client that keeps up.
	go func() { _, _ = io.Copy(io.Discard, rs.r) }()
	t.Cleanup(func() {
		client.Close()
		<-rs.s.Done()
	})
	return rs
}

// read is how many bytes the session has read from its connection.
func (rs *rateSession) read() int64 {
	n, _ := rs.s.ConnBytes()
	return n
}

func (rs *rateSession) stanzas() int {
	rs.h.mu.Lock()
	defer rs.h.mu.Unlock()
	return len(rs.h.stanzas)
}

// waitLog records the throttle waits of every session while a test runs.
type waitLog struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (w *waitLog) n() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.waits)
}

func (w *waitLog) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return fmt.Sprint(w.waits)
}

// hookWaits records the sessions' throttle waits until the test ends.
func hookWaits(t *testing.T) *waitLog {
	w := &waitLog{}
	hook := func(_ *Session, d time.Duration) {
		w.mu.Lock()
		w.waits = append(w.waits, d)
		w.mu.Unlock()
	}
	testHookThrottle.Store(&hook)
	t.Cleanup(func() { testHookThrottle.Store(nil) })
	return w
}

func message(n int) string {
	const head, tail = `<message to='x@localhost'><body>`, `</body></message>`
	return head + strings.Repeat("a", n-len(head)-len(tail)) + tail
}

// TestReadRateFlood checks that a client sending as fast as it can is read
// at the allowance: after the burst, about ReadRate bytes a second, never
// more than the burst, the rate and one read buffer allow, and that the
// session keeps being served (every stanza arrives in the end).
func TestReadRateFlood(t *testing.T) {
	tests := []struct {
		name        string
		rate, burst int64
		stanza, n   int
	}{
		{"small stanzas", 2000, 4000, 200, 200},
		{"stanzas larger than a read", 1000, 8000, 6000, 6},
		{"burst under a stanza", 4000, 1000, 3000, 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				waits := hookWaits(t)
				rs := newRateSession(t, Limits{MaxStanzaBytes: 8192, ReadRate: tc.rate, ReadBurst: tc.burst})
				start, base := time.Now(), rs.read()
				msg := message(tc.stanza)
				total := int64(tc.n * len(msg))
				go func() {
					for range tc.n {
						if _, err := io.WriteString(rs.client, msg); err != nil {
							return
						}
					}
				}()
				// Look every tenth of a second of the flood: never ahead of
				// the allowance (the login counted too: base).
				slack := tc.burst + largeIn
				for rs.read()-base < total {
					time.Sleep(100 * time.Millisecond)
					synctest.Wait()
					el := time.Since(start)
					allowed := slack + int64(el.Seconds()*float64(tc.rate))
					if got := rs.read(); got > allowed {
						t.Fatalf("after %v read %d bytes, over the %d the allowance permits", el, got, allowed)
					}
				}
				el := time.Since(start)
				// It took about what the rate says, not much less: the
				// limit held, and not much more: nothing waited for nothing.
				least := time.Duration(float64(total-slack) / float64(tc.rate) * float64(time.Second))
				most := time.Duration(float64(total+base)/float64(tc.rate)*float64(time.Second)) + time.Second
				if el < least || el > most {
					t.Errorf("%d bytes took %v at %d B/s, want between %v and %v", total, el, tc.rate, least, most)
				}
				synctest.Wait()
				if got := rs.stanzas(); got != tc.n {
					t.Errorf("host got %d stanzas, want %d", got, tc.n)
				}
				if waits.n() == 0 {
					t.Error("the flood never waited")
				}
				if n, neg := rs.busy.get(); n != 0 || neg {
					t.Errorf("busy count %d (went negative: %v), want 0", n, neg)
				}
			})
		})
	}
}

// TestReadRateNormalTraffic checks that traffic within the allowance never
// waits: a login, a burst of messages under ReadBurst, and a steady
// trickle under ReadRate are read at once.
func TestReadRateNormalTraffic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		waits := hookWaits(t)
		rs := newRateSession(t, Limits{ReadRate: 10000, ReadBurst: 20000})
		start := time.Now()
		// A burst: 50 messages of 300 bytes, 15 KB.
		msg := message(300)
		go io.WriteString(rs.client, strings.Repeat(msg, 50))
		synctest.Wait()
		if got := rs.stanzas(); got != 50 {
			t.Fatalf("host got %d of the burst's 50 stanzas", got)
		}
		// A steady trickle: 5 KB a second, half the rate, for a minute.
		for range 60 {
			time.Sleep(time.Second)
			go io.WriteString(rs.client, strings.Repeat(msg, 16))
			synctest.Wait()
		}
		if got, want := rs.stanzas(), 50+60*16; got != want {
			t.Fatalf("host got %d stanzas, want %d", got, want)
		}
		if waits.n() != 0 {
			t.Errorf("normal traffic waited %d times: %v", waits.n(), waits)
		}
		if el := time.Since(start); el != 60*time.Second {
			t.Errorf("took %v of the test's clock, want exactly the minute of trickle", el)
		}
	})
}

// TestReadRateSharedByAccount checks that the authenticated sessions of
// one account draw on one allowance: two flooding together get what one
// would, and a session that comes back after the others ended over their
// allowance finds it spent rather than a fresh burst.
func TestReadRateSharedByAccount(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const rate, burst = 2000, 4000
		h, busy := &fakeHost{}, &counter{}
		cfg := &Config{Domain: "localhost", Auth: fakeAuth{}, Host: h, Busy: busy.add, ReadLimiter: NewReadLimiter(),
			Limits: Limits{MaxStanzaBytes: 8192, ReadRate: rate, ReadBurst: burst}}
		a := newRateSessionConfig(t, cfg, h, busy)
		b := newRateSessionConfig(t, cfg, h, busy)
		synctest.Wait() // both have joined, at their first read after the bind
		if n := cfg.ReadLimiter.Len(); n != 1 {
			t.Fatalf("%d shares for one account's sessions, want 1", n)
		}
		base := a.read() + b.read()
		msg := message(500)
		for _, rs := range []*rateSession{a, b} {
			go io.WriteString(rs.client, strings.Repeat(msg, 100))
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		got := a.read() + b.read() - base
		// Each session may overshoot by one read; the login read before
		// the share was joined may carry some of the flood too.
		if most := int64(burst + 10*rate + 4*largeIn); got > most {
			t.Fatalf("two sessions of one account read %d bytes in 10 s, over one allowance (%d)", got, most)
		}
		if least := int64(10 * rate); got < least {
			t.Fatalf("two sessions read %d bytes in 10 s, less than the rate (%d)", got, least)
		}
		// Both end with the flood unread: the account's allowance is spent
		// and stays so for the next session.
		a.client.Close()
		b.client.Close()
		<-a.s.Done()
		<-b.s.Done()
		if n := cfg.ReadLimiter.Len(); n != 1 {
			t.Fatalf("%d shares once the account's sessions ended over their allowance, want 1", n)
		}
		waits := hookWaits(t)
		c := newRateSessionConfig(t, cfg, h, busy)
		go io.WriteString(c.client, strings.Repeat(msg, 4))
		synctest.Wait()
		if waits.n() == 0 {
			t.Fatal("a new session of the account got a fresh burst")
		}
		// Once the allowance is back and the session ends, the table
		// forgets the account.
		time.Sleep(time.Minute)
		synctest.Wait()
		c.client.Close()
		<-c.s.Done()
		if n := cfg.ReadLimiter.Len(); n != 0 {
			t.Fatalf("%d shares after the account's allowance came back and its sessions ended, want 0", n)
		}
	})
}

// TestReadRateOff checks that a negative ReadRate reads a flood at once.
func TestReadRateOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		waits := hookWaits(t)
		rs := newRateSession(t, Limits{ReadRate: -1, ReadBurst: 10})
		go io.WriteString(rs.client, strings.Repeat(message(1000), 500))
		synctest.Wait()
		if got := rs.stanzas(); got != 500 {
			t.Fatalf("host got %d of 500 stanzas", got)
		}
		if waits.n() != 0 {
			t.Fatalf("waited %d times with no limit", waits.n())
		}
	})
}

// TestReadRateNotStanzaTimeout checks that the time a session waits for
// its allowance does not count against the stanza being read: a stanza
// that takes four times StanzaTimeout to be let in at the rate still
// arrives, while a client that is itself that slow times out.
func TestReadRateNotStanzaTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rs := newRateSession(t, Limits{MaxStanzaBytes: 8192, StanzaTimeout: time.Second, ReadRate: 1000, ReadBurst: 1000})
		time.Sleep(2 * time.Second) // a full bucket
		msg := message(5000)
		go io.WriteString(rs.client, msg)
		for rs.stanzas() == 0 {
			select {
			case <-rs.s.Done():
				t.Fatalf("session ended reading a throttled stanza; closed %q", rs.h.closed)
			default:
			}
			time.Sleep(100 * time.Millisecond)
			synctest.Wait()
		}
		// The client itself now dribbles a stanza slower than the timeout.
		dribbled := make(chan struct{})
		go func() {
			defer close(dribbled)
			io.WriteString(rs.client, msg[:100])
			time.Sleep(2 * time.Second)
			io.WriteString(rs.client, msg[100:])
		}()
		<-rs.s.Done()
		<-dribbled
		rs.h.mu.Lock()
		defer rs.h.mu.Unlock()
		if len(rs.h.closed) != 1 || rs.h.closed[0] != stream.ConnectionTimeout.Err {
			t.Fatalf("closed with %q, want one connection-timeout", rs.h.closed)
		}
	})
}

// TestReadRateCloseWhileThrottled checks that a session waiting for its
// allowance ends as soon as it is closed (a shutdown), not when the
// allowance is back, and leaves nothing running.
func TestReadRateCloseWhileThrottled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		waits := hookWaits(t)
		// One byte a second: the flood waits for hours.
		rs := newRateSession(t, Limits{ReadRate: 1, ReadBurst: 1000})
		go io.WriteString(rs.client, strings.Repeat(message(1000), 10))
		synctest.Wait()
		if waits.n() == 0 {
			t.Fatal("the flood is not waiting")
		}
		if n, _ := rs.busy.get(); n != 0 {
			t.Errorf("busy count %d while waiting for the allowance, want 0 (as blocked reading)", n)
		}
		start := time.Now()
		rs.s.CloseWithError(stream.SystemShutdown, "")
		<-rs.s.Done()
		if el := time.Since(start); el != 0 {
			t.Errorf("closing a throttled session took %v of the test's clock, want none", el)
		}
		if n, neg := rs.busy.get(); n != 0 || neg {
			t.Errorf("busy count %d (went negative: %v), want 0", n, neg)
		}
	})
}

// TestReadPace checks the arithmetic of the bucket: a full bucket lets the
// burst through, then one byte per 1/rate.
func TestReadPace(t *testing.T) {
	l := Limits{ReadRate: 1000, ReadBurst: 500}
	c := &trackedConn{s: &Session{limits: &l}, tat: noDebt}
	now := int64(0)
	tests := []struct {
		read int
		wait time.Duration
	}{
		{400, 0},                    // within the burst
		{100, 0},                    // the burst used up exactly
		{1, time.Millisecond},       // one byte over: one byte's time
		{1000, time.Second + 1e6},   // another second's worth
		{0, time.Second + 1e6},      // nothing read, nothing charged
		{-1, time.Second + 1000000}, // an error read, likewise
	}
	for i, tc := range tests {
		c.charge(tc.read, now)
		if got := c.readDelay(now); got != tc.wait {
			t.Errorf("step %d: after reading %d, wait %v, want %v", i, tc.read, got, tc.wait)
		}
	}
	if got := c.readDelay(now + int64(2*time.Second)); got != 0 {
		t.Errorf("after the wait: %v more", got)
	}
	l.ReadRate = -1
	if got := c.readDelay(now); got != 0 {
		t.Errorf("no limit: wait %v", got)
	}
}

// TestReadTurns checks the turns of heavy sessions: with every turn taken,
// a session over its allowance waits after its read, busy and without
// handling what it read, while a session within its allowance is served
// as before; once a turn is free the heavy session goes on.
func TestReadTurns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rl := NewReadLimiter()
		h, busy := &fakeHost{}, &counter{}
		cfg := &Config{Domain: "localhost", Auth: fakeAuth{}, Host: h, Busy: busy.add, ReadLimiter: rl,
			Limits: Limits{MaxStanzaBytes: 8192, ReadRate: 1000, ReadBurst: 4000}}
		heavy := newRateSessionConfig(t, cfg, h, busy)
		// A light session of another account, with the same limiter.
		lh := &fakeHost{}
		lcfg := *cfg
		lcfg.Host, lcfg.Auth = lh, anyAuth{}
		light := newRateSessionAs(t, &lcfg, lh, busy, strings.Replace(login, "AHVzZXIAcGFzcw==", "AG90aGVyAHBhc3M=", 1))
		// Each session joins its account's allowance before its first read
		// after the bind, which may come after the client has the result.
		synctest.Wait()
		if n := rl.Len(); n != 2 {
			t.Fatalf("%d accounts' allowances, want 2", n)
		}

		// The heavy session spends its burst, and more.
		go io.WriteString(heavy.client, strings.Repeat(message(1000), 20))
		time.Sleep(5 * time.Second)
		synctest.Wait()
		handled := heavy.stanzas()
		if handled == 0 || handled == 20 {
			t.Fatalf("heavy session handled %d of 20 stanzas in 5 s at 1000 B/s", handled)
		}
		// Every turn taken: the heavy session stops after its next read.
		for range cap(rl.turns) {
			rl.turns <- struct{}{}
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		stuck := heavy.stanzas()
		if stuck > handled+5 {
			t.Fatalf("heavy session handled %d more stanzas with no turn free", stuck-handled)
		}
		if n, _ := busy.get(); n == 0 {
			t.Error("a session waiting for a turn with input read counts idle")
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if got := heavy.stanzas(); got != stuck {
			t.Fatalf("heavy session went on from %d to %d stanzas with no turn free", stuck, got)
		}
		// The light session is served meanwhile.
		go io.WriteString(light.client, strings.Repeat(message(300), 10))
		synctest.Wait()
		lh.mu.Lock()
		lightGot := len(lh.stanzas)
		lh.mu.Unlock()
		if lightGot != 10 {
			t.Fatalf("light session got %d of 10 stanzas handled while the turns were taken", lightGot)
		}
		// A turn free: the heavy session finishes.
		for range cap(rl.turns) {
			<-rl.turns
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		if got := heavy.stanzas(); got != 20 {
			t.Fatalf("heavy session handled %d of 20 stanzas once turns were free", got)
		}
		if n := len(rl.turns); n != 0 {
			t.Fatalf("%d turns held with every session idle", n)
		}
	})
}

// anyAuth accepts every PLAIN login with the password "pass".
type anyAuth struct{ fakeAuth }

func (anyAuth) CheckPlain(_, p string) bool { return p == "pass" }
