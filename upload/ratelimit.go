package upload

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/muctest/muctest/pace"
)

// This file throttles slot requests, per account and per client address:
// each has a token bucket (Config.RequestLimit, Config.AddrRequestLimit),
// and a request over either is refused with XEP-0363's error for a client
// that may not upload for now, wait/resource-constraint with a <retry/>
// carrying when it may ask again. Prosody's mod_http_file_share has no
// such limit (a client is bounded there by mod_limits' read rate and the
// daily quota), but every request it answers costs the server a reply,
// and one that is granted an id from the system's random source, an HMAC
// and a place in the pending slots, which any account could otherwise
// take all of (MaxPending) for the slots' lifetime. A person's client asks
// for one slot per file it shares: an album of a few dozen photos fits in
// the burst, and the rate gives back a request every two seconds.
//
// A bucket is package pace's: a refused request costs nothing of it, so a
// client that keeps flooding gets its next slot as soon as one that waited
// would. Buckets that are full again are forgotten at the next sweep
// (expireLocked), so the tables hold only clients that asked within the
// last Burst intervals.

// RateLimit is a token bucket (package pace): Burst requests at once
// after a quiet spell, then one more every Every. A zero field takes the
// default of the limit it is in; a negative Burst means no limit.
type RateLimit = pace.Rate

// Defaults for zero RateLimit fields: one account may ask for 30 slots at
// once, then one every two seconds; one client address (several accounts
// behind a NAT, or one client logging in under many names) four times as
// many.
var (
	DefaultRequestLimit     = RateLimit{Burst: 30, Every: 2 * time.Second}
	DefaultAddrRequestLimit = RateLimit{Burst: 120, Every: 500 * time.Millisecond}
)

// withDefaults returns l with its zero fields taken from d.
func withDefaults(l, d RateLimit) RateLimit {
	if l.Burst == 0 {
		l.Burst = d.Burst
	}
	if l.Every <= 0 {
		l.Every = d.Every
	}
	return l
}

// limiter is one table of buckets, by account or by address, with the
// text of its refusal (made once: a flood is refused many times).
type limiter[K comparable] struct {
	limit   RateLimit
	text    string
	buckets map[K]pace.Bucket
}

func newLimiter[K comparable](l RateLimit) limiter[K] {
	return limiter[K]{limit: l, buckets: map[K]pace.Bucket{},
		text: fmt.Sprintf("Quota reached. You can only request %d upload slots at once, then one every %v", l.Burst, l.Every)}
}

// check reports when k may make its next request, zero if now.
func (l *limiter[K]) check(k K, now time.Time) time.Time {
	b := l.buckets[k]
	return b.Next(l.limit, now)
}

// take spends one of k's tokens at now (check said it has one).
func (l *limiter[K]) take(k K, now time.Time) {
	if !l.limit.Limited() {
		return
	}
	b := l.buckets[k]
	b.Take(l.limit, now)
	l.buckets[k] = b
}

// sweep forgets the buckets that are full again at now.
func (l *limiter[K]) sweep(now time.Time) {
	for k, b := range l.buckets {
		if b.Full(now) {
			delete(l.buckets, k)
		}
	}
}

// throttleLocked takes a token from owner's and addr's buckets (addr
// invalid: the request came from no client connection, only the account
// counts), or returns the refusal when either is empty. s.mu is held.
func (s *Service) throttleLocked(owner string, addr netip.Addr, now time.Time) *Error {
	retry, text := s.byOwner.check(owner, now), s.byOwner.text
	if addr.IsValid() {
		if r := s.byAddr.check(addr, now); r.After(retry) {
			retry, text = r, s.byAddr.text
		}
	}
	if !retry.IsZero() {
		return &Error{Type: "wait", Condition: "resource-constraint", Text: text, RetryAt: retry}
	}
	s.byOwner.take(owner, now)
	if addr.IsValid() {
		s.byAddr.take(addr, now)
	}
	return nil
}
