package server

import (
	"net"
	"sync"
	"time"

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

// allowFunc returns allow as a c2s.Config.AllowAuth hook, or nil when the
// limiter is nil (no hook, no cost).
func (l *ipLimiter) allowFunc() func(net.Addr) bool {
	if l == nil {
		return nil
	}
	return l.allow
}
