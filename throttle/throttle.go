// Package throttle holds the server's per-address rate limits: token
// buckets for connections and authentication attempts per IP (Prosody's
// mod_limits does the same per connection), and the failed-login backoff
// that throttles password guessing per account and per address (issue 11's
// "failed SASL attempts are throttled per account and per IP with
// backoff"). Package server configures them (Config.ConnRate, AuthRate,
// AuthBackoff); c2s calls them through its hooks.
package throttle

import (
	"net"
	"sync"
	"time"

	"github.com/muctest/muctest/c2s"
	"github.com/muctest/muctest/pace"
)

// Rate bounds how often one IP address may do something: Burst events
// at once, refilled evenly at Burst per Per (a token bucket). The zero value
// (or a non-positive field) allows everything, which is what a test server
// on loopback wants; a server exposed to others should set it.
type Rate struct {
	Burst int
	Per   time.Duration
}

func (r Rate) enabled() bool { return r.Burst > 0 && r.Per > 0 }

// PerIP applies a Rate per remote IP address. Its lock is only
// held to update one bucket, never while doing I/O.
type PerIP struct {
	rate    pace.Rate
	now     func() time.Time
	mu      sync.Mutex
	buckets map[string]*pace.Bucket
}

// maxBuckets is the table size beyond which full buckets (addresses quiet
// for long enough) are forgotten, so that many addresses cannot grow the
// table without bound.
const maxBuckets = 4096

// NewPerIP returns a limiter applying r to each address, or nil (which
// allows everything) when r does not limit anything.
func NewPerIP(r Rate) *PerIP {
	if !r.enabled() {
		return nil
	}
	return &PerIP{rate: pace.Rate{Burst: r.Burst, Every: r.Per / time.Duration(r.Burst)},
		now: time.Now, buckets: map[string]*pace.Bucket{}}
}

// Allow reports whether addr may proceed, taking one token. A nil limiter
// allows everything.
func (l *PerIP) Allow(addr net.Addr) bool {
	if l == nil {
		return true
	}
	ip := addr.String()
	if ta, ok := addr.(*net.TCPAddr); ok {
		ip = ta.IP.String()
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[ip]
	if b == nil {
		if len(l.buckets) >= maxBuckets {
			l.sweep(now)
		}
		b = new(pace.Bucket)
		l.buckets[ip] = b
	}
	ok, _ := b.Allow(l.rate, now)
	return ok
}

// sweep forgets buckets that have refilled completely. l.mu is held.
func (l *PerIP) sweep(now time.Time) {
	for ip, b := range l.buckets {
		if b.Full(now) {
			delete(l.buckets, ip)
		}
	}
}

// AllowFunc returns Allow as a c2s.Config.AllowAuth hook, or nil when the
// limiter is nil (no hook, no cost).
func (l *PerIP) AllowFunc() func(net.Addr) bool {
	if l == nil {
		return nil
	}
	return l.Allow
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

// Auth implements c2s.AuthThrottle for AuthBackoff.
type Auth struct {
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

func NewAuth(b AuthBackoff) *Auth {
	if b.Free < 0 {
		return nil
	}
	t := &Auth{freeAccount: b.Free, freeIP: 4 * b.Free, max: b.Max, now: time.Now,
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
func (t *Auth) Allow(remote net.Addr, user string) bool {
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
func (t *Auth) Failed(remote net.Addr, user string) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.fail(t.ips, ipKey(remote), t.freeIP, now)
	t.fail(t.accounts, user, t.freeAccount, now)
}

// Succeeded clears the account's failures.
func (t *Auth) Succeeded(_ net.Addr, user string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.accounts, user)
}

// fail records one failure of key in m; t.mu is held. A table at
// maxBuckets first forgets records without a failure for authForget; if
// that frees nothing, a new key is not recorded (the address's record
// still is: only so many addresses can fail at once).
func (t *Auth) fail(m map[string]*failures, key string, free int, now time.Time) {
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

// Hook returns t as a c2s.AuthThrottle, or nil (no hook) when
// throttling is off.
func (t *Auth) Hook() c2s.AuthThrottle {
	if t == nil {
		return nil
	}
	return t
}
