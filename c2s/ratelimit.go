package c2s

import (
	"crypto/tls"
	"math"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// This file throttles what one client may make the server read, in bytes
// per second with a burst (Limits.ReadRate, Limits.ReadBurst), as
// Prosody's mod_limits does: a client over its allowance is not
// disconnected, the server just stops reading its socket until the
// allowance is back, so that TCP flow control slows the client down and
// no byte is lost. Without it a few clients sending as fast as loopback
// allows keep the server's CPUs busy parsing and routing their stanzas,
// and every other session waits behind them (issue 11).
//
// The allowance is a token bucket kept as one number, the bucket's
// theoretical arrival time (the generic cell rate algorithm): tat is when
// the bucket would be full again, having been charged the bytes read so
// far at the rate. A read may start as long as tat is at most Burst's
// worth of time ahead of now; it then moves tat on by what it read. So a
// client may send Burst bytes at once after being quiet, and ReadRate
// bytes a second on average, overshooting by at most one read.
//
// Everything the session reads counts, from the stream header on
// (negotiation, TLS records, stanzas, whitespace). Until it authenticates
// a session has a bucket of its own, full at the start, which covers any
// negotiation many times over. From then on it draws on its account's
// bucket (Config.ReadLimiter), shared by every session of the account: a
// client cannot get a fresh burst by reconnecting, nor add to its rate
// with more connections, nor with the old ones that the server is still
// reading after the client gave up on them (the kernel holds megabytes of
// a flood). Clients of different accounts behind one address (a NAT) do
// not share anything.
//
// The wait happens in trackedConn.Read, in the goroutine that reads: it
// counts as not busy, as a blocked read does, and Pending still reports
// the bytes the kernel holds, so Server.WaitIdle does not return while a
// throttled client has unread input. A session the writer closes (at
// shutdown, or when it overflowed) stops waiting at once. A parked session
// (park.go) that wakes while over its allowance is resumed by a timer
// when the allowance is back, not by a goroutine that would wait. Time
// spent waiting does not count against the stanza being read
// (Limits.StanzaTimeout) or the idle limit.

// DefaultReadRate is the read rate cmd/mucd sets (Limits.ReadRate): far
// above what a person chatting sends (a few hundred bytes per message) and
// what a client sends at login (a few KB), so that normal use is never
// slowed, while a client flooding at line rate is held to it. With the
// default burst a stanza of the largest size gets in at once after a quiet
// spell. Prosody's example configuration has 10 kB/s.
const DefaultReadRate = 64 << 10

// readEpoch is the origin of readClock: a monotonic reading, so that the
// wall clock jumping does not open or close anyone's allowance.
var readEpoch = time.Now()

// readClock is the time in nanoseconds since readEpoch (negative inside a
// synctest bubble, whose clock starts in 2000: only differences matter).
func readClock() int64 { return int64(time.Since(readEpoch)) }

// noDebt is the bucket state of a session that has read nothing: full.
const noDebt = math.MinInt64

// readPace returns the limits' rate as nanoseconds per byte and the burst
// as nanoseconds at that rate, or ok false when reads are not limited.
func (l *Limits) readPace() (nsPerByte float64, burst int64, ok bool) {
	if l.ReadRate <= 0 {
		return 0, 0, false
	}
	nsPerByte = float64(time.Second) / float64(l.ReadRate)
	return nsPerByte, int64(float64(l.ReadBurst) * nsPerByte), true
}

// readDelay is how long a read must wait at now before the allowance lets
// it start (zero: at once).
func (c *trackedConn) readDelay(now int64) time.Duration {
	_, burst, ok := c.s.limits.readPace()
	if !ok {
		return 0
	}
	tat := c.tat
	if c.share != nil {
		tat = c.share.tat.Load()
	}
	if tat == noDebt || tat <= now+burst {
		return 0
	}
	return time.Duration(tat - burst - now)
}

// charge counts n bytes just read at now against the allowance.
func (c *trackedConn) charge(n int, now int64) {
	nsPerByte, _, ok := c.s.limits.readPace()
	if !ok || n <= 0 {
		return
	}
	cost := int64(float64(n) * nsPerByte)
	if c.share == nil {
		c.tat = max(c.tat, now) + cost
		return
	}
	for {
		old := c.share.tat.Load()
		if c.share.tat.CompareAndSwap(old, max(old, now)+cost) {
			return
		}
	}
}

// heavy reports whether the session has spent more than a quarter of its
// burst at now (whether it must take a turn).
func (c *trackedConn) heavy(now int64) bool {
	_, burst, ok := c.s.limits.readPace()
	if !ok {
		return false
	}
	tat := c.tat
	if c.share != nil {
		tat = c.share.tat.Load()
	}
	return tat != noDebt && tat > now+burst-burst/4
}

// takeTurn waits, after a read that returned n bytes at now, for one of the
// server's turns if the session is heavy, or until the writer closed the
// connection. It is called busy: the bytes read are not handled yet.
func (c *trackedConn) takeTurn(n int, now int64) {
	rl := c.s.cfg.ReadLimiter
	if n <= 0 || c.turn || rl == nil || !c.heavy(now) {
		return
	}
	select {
	case rl.turns <- struct{}{}:
		c.turn = true
		return
	default:
	}
	start := time.Now()
	select {
	case rl.turns <- struct{}{}:
		c.turn = true
	case <-c.s.wdone:
	}
	c.s.afterThrottle(time.Since(start))
}

// giveTurn gives the session's turn back (before its next read, or when it
// stops reading).
func (c *trackedConn) giveTurn() {
	if c.turn {
		c.turn = false
		<-c.s.cfg.ReadLimiter.turns
	}
}

// readerDone gives back what the session's reader holds of the server's
// read state once it reads no more: its turn.
func (s *Session) readerDone() {
	if c := s.tracked(); c != nil {
		c.giveTurn()
	}
}

// tracked returns the session's trackedConn, under TLS if any.
func (s *Session) tracked() *trackedConn {
	switch conn := s.conn.(type) {
	case *trackedConn:
		return conn
	case *tls.Conn:
		c, _ := conn.NetConn().(*trackedConn)
		return c
	}
	return nil
}

// joinShare moves a session that has just authenticated from its own
// bucket to its account's, before its next read.
func (c *trackedConn) joinShare() {
	if c.share != nil || c.s.user == "" || c.s.cfg.ReadLimiter == nil || c.s.limits.ReadRate <= 0 {
		return
	}
	c.share = c.s.cfg.ReadLimiter.join(c.s.user)
}

// leaveShare lets the account's bucket go when the session has ended.
func (s *Session) leaveShare() {
	if c := s.tracked(); c != nil && c.share != nil {
		s.cfg.ReadLimiter.leave(s.user, c.share)
		c.share = nil
	}
}

// ReadLimiter is a server's state of the read allowances (Limits.ReadRate):
// those of accounts, each shared by the authenticated sessions of one
// account, and the turns of sessions over their allowance. A server has
// one, in its Config; a nil ReadLimiter gives every session its own
// allowance and lets heavy sessions work all at once. An account's
// allowance is kept while a session of it lives or while it is still
// spent, so that a client that disconnects over its allowance finds it
// spent when it comes back; the table forgets the others.
type ReadLimiter struct {
	// turns holds a token per heavy session handling what it read.
	turns chan struct{}

	mu sync.Mutex
	m  map[string]*readShare
	// sweepAt is the table size at which join drops the entries of
	// accounts without a session whose allowance is back.
	sweepAt int
}

// readShare is one account's bucket: tat as in trackedConn, sessions
// counting the sessions drawing on it (under ReadLimiter.mu).
type readShare struct {
	tat      atomic.Int64
	sessions int
}

// NewReadLimiter returns the read state of a server with no account known
// yet and as many turns for heavy sessions as there are Ps
// (runtime.GOMAXPROCS): enough to keep the CPUs busy with them when nothing
// else is to be done.
func NewReadLimiter() *ReadLimiter {
	return &ReadLimiter{turns: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))}
}

const minSweep = 256

func (r *ReadLimiter) join(user string) *readShare {
	r.mu.Lock()
	defer r.mu.Unlock()
	sh := r.m[user]
	if sh == nil {
		if r.m == nil {
			r.m = make(map[string]*readShare)
		}
		if len(r.m) >= max(r.sweepAt, minSweep) {
			now := readClock()
			for u, o := range r.m {
				if o.sessions == 0 && o.tat.Load() <= now {
					delete(r.m, u)
				}
			}
			r.sweepAt = 2 * len(r.m)
		}
		sh = &readShare{}
		sh.tat.Store(noDebt)
		r.m[user] = sh
	}
	sh.sessions++
	return sh
}

func (r *ReadLimiter) leave(user string, sh *readShare) {
	r.mu.Lock()
	defer r.mu.Unlock()
	sh.sessions--
	if sh.sessions == 0 && sh.tat.Load() <= readClock() && r.m[user] == sh {
		delete(r.m, user)
	}
}

// Len reports how many accounts' allowances the table holds.
func (r *ReadLimiter) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.m)
}

// throttle waits, before a read, until the allowance lets it start, or
// until the writer has closed the connection (the read that follows then
// fails at once and the session ends). It reports how long it waited.
func (c *trackedConn) throttle() time.Duration {
	d := c.readDelay(readClock())
	if d <= 0 {
		return 0
	}
	if hook := testHookThrottle.Load(); hook != nil {
		(*hook)(c.s, d)
	}
	start := time.Now()
	t := time.NewTimer(d)
	select {
	case <-t.C:
	case <-c.s.wdone:
		t.Stop()
	}
	waited := time.Since(start)
	c.s.afterThrottle(waited)
	return waited
}

// testHookThrottle, when set by a test, sees every wait of throttle.
// Atomic: readers may outlive the test that set it.
var testHookThrottle atomic.Pointer[func(*Session, time.Duration)]

// afterThrottle gives the stanza being read back the time its session was
// held up reading it: its read deadline (armStanza) is set again, from
// now, and the idle deadline moves on by waited. Resetting the stanza
// deadline is more than the time lost, but cannot be abused by a slow
// client: only a client that sends faster than the rate waits, and a
// stanza is at most MaxStanzaBytes, so a stanza's deadline is set again at
// most MaxStanzaBytes/ReadBurst times. Between stanzas the deadlines are
// left alone: the idle deadline was just set, ParkAfter's grace expiring
// during the wait only means the session looks whether it can park.
func (s *Session) afterThrottle(waited time.Duration) {
	if s.handler == nil || !s.stanzaArmed {
		return
	}
	if s.limits.IdleTimeout > 0 {
		s.idleAt = s.idleAt.Add(waited)
	}
	if s.limits.StanzaTimeout > 0 {
		s.armStanza()
	} else if s.limits.IdleTimeout > 0 {
		s.setReadDeadline(s.idleAt)
	}
}

// wakeDelay is how long a parked session woken now must wait before its
// allowance lets it read (zero: at once). Only sessions without TLS park,
// so the session's conn is its trackedConn.
func (s *Session) wakeDelay() time.Duration {
	c, ok := s.conn.(*trackedConn)
	if !ok {
		return 0
	}
	d := c.readDelay(readClock())
	if hook := testHookWakeDelay.Load(); hook != nil && d > 0 {
		(*hook)(s, d)
	}
	return d
}

// testHookWakeDelay, when set by a test, sees every wake that waits for
// the session's allowance.
var testHookWakeDelay atomic.Pointer[func(*Session, time.Duration)]

// resumeThrottled is wake's goroutine for a session that woke over its
// allowance, started by a timer once the allowance is back.
func (s *Session) resumeThrottled() {
	s.busy(1)
	s.resume()
}

// Kernel receive buffers of read-limited sessions: a client the server
// reads at its allowance can still write as fast as it likes into the
// kernel, which by default grows a TCP connection's receive buffer to
// megabytes (net.ipv4.tcp_rmem), and the client's own send buffer as
// much again. Two hundred throttled clients then had gigabytes of room
// to fill, burning CPU on loopback copies the server would read only
// minutes later (mucattack upload-slot-flood: the attack's own process
// took 9 s of CPU in 8 s on two cores, and a witness waited a second for
// a core). With the buffer bounded, a client past its allowance soon
// blocks in its write and costs nothing.
const (
	minKernelReadBuffer = 64 << 10
	maxKernelReadBuffer = 4 << 20
)

// boundKernelBuffer sets the receive buffer of conn, when the session's
// reads are limited, to one second of its allowance within
// [minKernelReadBuffer, maxKernelReadBuffer]: enough for the client to
// send at its rate across any round trip, and no more to fill.
func boundKernelBuffer(conn net.Conn, l *Limits) {
	if l.ReadRate <= 0 {
		return
	}
	rb, ok := conn.(interface{ SetReadBuffer(int) error })
	if !ok {
		return
	}
	_ = rb.SetReadBuffer(int(min(max(l.ReadRate, minKernelReadBuffer), maxKernelReadBuffer)))
}
