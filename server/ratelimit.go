package server

import (
	"net"
	"sync"
	"time"

	"github.com/muctest/muctest/c2s"
	"github.com/muctest/muctest/connlimit"
)

// RateLimit bounds how often one IP address may do something: Burst events
// at once, refilled evenly at Burst per Per (a token bucket). The zero value
// (or a non-positive field) allows everything, which is what a test server
// on loopback wants; a server exposed to others should set it.
type RateLimit struct {
	Burst int
	Per   time.Duration
}

func (r RateLimit) enabled() bool { return r.Burst > 0 && r.Per > 0 }

// ipLimiter applies a RateLimit per remote IP address. Its lock is only
// held to update one bucket, never while doing I/O.
type ipLimiter struct {
	rate    RateLimit
	now     func() time.Time
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// maxBuckets is the table size beyond which full buckets (addresses quiet
// for long enough) are forgotten, so that many addresses cannot grow the
// table without bound.
const maxBuckets = 4096

func newIPLimiter(r RateLimit) *ipLimiter {
	if !r.enabled() {
		return nil
	}
	return &ipLimiter{rate: r, now: time.Now, buckets: map[string]*bucket{}}
}

// allow reports whether addr may proceed, taking one token. A nil limiter
// allows everything.
func (l *ipLimiter) allow(addr net.Addr) bool {
	if l == nil {
		return true
	}
	ip := addr.String()
	if ta, ok := addr.(*net.TCPAddr); ok {
		ip = ta.IP.String()
	}
	now := l.now()
	burst := float64(l.rate.Burst)
	perToken := l.rate.Per.Seconds() / burst
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[ip]
	if b == nil {
		if len(l.buckets) >= maxBuckets {
			l.sweep(now, perToken)
		}
		b = &bucket{tokens: burst, last: now}
		l.buckets[ip] = b
	}
	b.tokens = min(burst, b.tokens+now.Sub(b.last).Seconds()/perToken)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// sweep forgets buckets that have refilled completely. l.mu is held.
func (l *ipLimiter) sweep(now time.Time, perToken float64) {
	burst := float64(l.rate.Burst)
	for ip, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()/perToken >= burst {
			delete(l.buckets, ip)
		}
	}
}

// refuseTimeout bounds the write of the refusal to a connection over its
// rate.
const refuseTimeout = 2 * time.Second

// refuse answers a connection over the per-IP connection rate with a stream
// header and a policy-violation stream error (RFC 6120 section 4.9.3.15),
// without reading from it, and closes it. It runs on its own goroutine
// (counted in s.wg) so that a peer that does not read cannot stall Accept.
func (s *Server) refuse(conn net.Conn) {
	defer s.wg.Done()
	defer conn.Close()
	s.log.Info("server: connection rate exceeded", "remote", conn.RemoteAddr().String())
	_ = conn.SetDeadline(time.Now().Add(refuseTimeout))
	_, _ = conn.Write(refusal(s.domain, "policy-violation", "too many connections from your address"))
}

// refusal is a stream header followed by a stream error and the end of the
// stream: everything a connection refused before it was read from gets.
func refusal(domain, cond, text string) []byte {
	return []byte(`<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' from='` +
		domain + `' version='1.0'><stream:error><` + cond + ` xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>` +
		`<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>` + text + `</text></stream:error></stream:stream>`)
}

// capRefuseTimeout bounds the refusal write of a connection over a
// connection cap. It is written in the accept loop: a few hundred bytes
// always fit in a new socket's send buffer, so the write does not wait,
// and the deadline only guards against a kernel that says otherwise.
const capRefuseTimeout = 50 * time.Millisecond

// limitListener wraps ln in the connection caps of Config.MaxConns and
// Config.MaxConnsPerIP (package connlimit), whose Accept also rides out
// descriptor exhaustion. A connection over the global cap is told
// resource-constraint (RFC 6120 section 4.9.3.17: the server lacks the
// resources to serve the stream), one over the per-address cap
// policy-violation, as the connection rate is; neither is read from.
func (s *Server) limitListener(ln net.Listener) net.Listener {
	return connlimit.New(ln, connlimit.Config{
		MaxConns: s.cfg.MaxConns,
		MaxPerIP: s.cfg.MaxConnsPerIP,
		Logger:   s.log,
		Refuse: func(c net.Conn, why connlimit.Reason) {
			cond, text := "resource-constraint", "the server is full"
			if why == connlimit.TooManyFromIP {
				cond, text = "policy-violation", "too many connections from your address"
			}
			_ = c.SetWriteDeadline(time.Now().Add(capRefuseTimeout))
			_, _ = c.Write(refusal(s.domain, cond, text))
		},
	})
}

// LimitHTTPListener wraps ln, a listener for HTTPHandler (WebSocket, BOSH,
// uploads), in the same caps as the XMPP listener (Config.MaxConns and
// Config.MaxConnsPerIP, counted apart from it), so that a flood of HTTP
// connections or WebSocket upgrades cannot exhaust memory or descriptors
// either. A connection over a cap gets an HTTP refusal before anything is
// read from it: 503 Service Unavailable over the global cap, 429 Too Many
// Requests over the per-address one, each with Connection: close.
func (s *Server) LimitHTTPListener(ln net.Listener) net.Listener {
	return connlimit.New(ln, connlimit.Config{
		MaxConns: s.cfg.Web.maxConns(s.cfg.MaxConns),
		MaxPerIP: s.cfg.MaxConnsPerIP,
		Logger:   s.log,
		Refuse: func(c net.Conn, why connlimit.Reason) {
			status := "503 Service Unavailable"
			if why == connlimit.TooManyFromIP {
				status = "429 Too Many Requests"
			}
			_ = c.SetWriteDeadline(time.Now().Add(capRefuseTimeout))
			_, _ = c.Write([]byte("HTTP/1.1 " + status + "\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"))
		},
	})
}

// allowFunc returns allow as a c2s.Config.AllowAuth hook, or nil when the
// limiter is nil (no hook, no cost).
func (l *ipLimiter) allowFunc() func(net.Addr) bool {
	if l == nil {
		return nil
	}
	return l.allow
}

// AuthBackoff throttles password guessing (with Accounts; in any-password
// mode every password is right). After Free failed authentications, per
// account and per IP address separately, each further attempt must wait
// a backoff that starts at one second and doubles up to Max; an attempt
// during it gets the SASL failure temporary-auth-failure without its
// password being checked. A success clears the account's count; an
// address's count is forgotten after Forget without failures, so that
// logging in to one's own account between guesses does not reset it.
type AuthBackoff struct {
	// Free failures before the backoff starts: 0 takes
	// DefaultAuthFreeFailures per account and four times that per
	// address (many users may share one); negative turns throttling off.
	Free int
	// Max is the longest backoff; 0 means DefaultAuthMaxBackoff.
	Max time.Duration
}

// Defaults of AuthBackoff.
const (
	DefaultAuthFreeFailures = 5
	DefaultAuthMaxBackoff   = time.Minute
	authForget              = 10 * time.Minute
)

// authThrottle implements c2s.AuthThrottle for AuthBackoff.
type authThrottle struct {
	freeAccount, freeIP int
	max                 time.Duration
	now                 func() time.Time

	mu       sync.Mutex
	accounts map[string]*failures
	ips      map[string]*failures
}

// failures is one account's or address's record.
type failures struct {
	n     int
	last  time.Time // of the last failure
	until time.Time // the backoff ends
}

func newAuthThrottle(b AuthBackoff) *authThrottle {
	if b.Free < 0 {
		return nil
	}
	t := &authThrottle{freeAccount: b.Free, freeIP: 4 * b.Free, max: b.Max, now: time.Now,
		accounts: map[string]*failures{}, ips: map[string]*failures{}}
	if b.Free == 0 {
		t.freeAccount, t.freeIP = DefaultAuthFreeFailures, 4*DefaultAuthFreeFailures
	}
	if t.max <= 0 {
		t.max = DefaultAuthMaxBackoff
	}
	return t
}

func ipKey(addr net.Addr) string {
	if ta, ok := addr.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	return addr.String()
}

// Allow is c2s.AuthThrottle's: neither the address nor the account (when
// named) may be in its backoff.
func (t *authThrottle) Allow(remote net.Addr, user string) bool {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if f := t.ips[ipKey(remote)]; f != nil && now.Before(f.until) {
		return false
	}
	if f := t.accounts[user]; user != "" && f != nil && now.Before(f.until) {
		return false
	}
	return true
}

// Failed counts a failure against the address and the account.
func (t *authThrottle) Failed(remote net.Addr, user string) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.fail(t.ips, ipKey(remote), t.freeIP, now)
	t.fail(t.accounts, user, t.freeAccount, now)
}

// Succeeded clears the account's failures.
func (t *authThrottle) Succeeded(_ net.Addr, user string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.accounts, user)
}

// fail records one failure of key in m; t.mu is held. A table at
// maxBuckets first forgets records without a failure for authForget; if
// that frees nothing, a new key is not recorded (the address's record
// still is: only so many addresses can fail at once).
func (t *authThrottle) fail(m map[string]*failures, key string, free int, now time.Time) {
	f := m[key]
	if f != nil && now.Sub(f.last) >= authForget {
		f.n = 0
	}
	if f == nil {
		if len(m) >= maxBuckets {
			for k, old := range m {
				if now.Sub(old.last) >= authForget {
					delete(m, k)
				}
			}
			if len(m) >= maxBuckets {
				return
			}
		}
		f = &failures{}
		m[key] = f
	}
	f.n++
	f.last = now
	if over := f.n - free; over >= 0 {
		wait := t.max
		if over < 20 {
			wait = min(t.max, time.Second<<over)
		}
		f.until = now.Add(wait)
	}
}

// hook returns t as a c2s.AuthThrottle, or nil (no hook) when
// throttling is off.
func (t *authThrottle) hook() c2s.AuthThrottle {
	if t == nil {
		return nil
	}
	return t
}
