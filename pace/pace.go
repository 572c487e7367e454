// Package pace holds the token-bucket arithmetic that the server's rate
// limits share: connections and authentications per address (package
// throttle), upload slot requests per account and per address (package
// upload) and WebSocket control frames per connection (package websocket).
//
// A bucket is kept as one instant, its theoretical arrival time in the
// generic cell rate algorithm (ITU-T I.371; RFC 2697's token bucket seen
// from the other side): the time at which it would be full again. An event
// may pass while that instant is at most Burst-1 intervals ahead of now,
// and moves it one interval on. Kept this way a bucket needs no refill
// step, no floating point and no timer, a full bucket is the zero value,
// and a table of buckets can forget every bucket that is full again
// without changing what anyone is allowed. Package c2s's read allowance
// uses the same arithmetic on atomic nanoseconds, counted in bytes rather
// than events.
package pace

import "time"

// Rate is how often something may happen: Burst events at once after a
// quiet spell, then one more every Every. A Rate with a non-positive field
// allows everything (see Limited).
type Rate struct {
	Burst int
	Every time.Duration
}

// Limited reports whether r limits anything; the zero Rate does not.
func (r Rate) Limited() bool { return r.Burst > 0 && r.Every > 0 }

// window is how far ahead of now a bucket's instant may be for one more
// event to pass.
func (r Rate) window() time.Duration { return time.Duration(r.Burst-1) * r.Every }

// Bucket is one client's (or one connection's) allowance under a Rate.
// The zero value is a full bucket. A Bucket has no lock: its owner holds
// whatever guards the table it is in.
type Bucket struct {
	tat time.Time
}

// Allow reports whether an event at now passes under r, spending a token
// if it does. When it does not, next is when the next event would pass; a
// refused event costs nothing, so that a client that keeps asking gets its
// next turn as soon as one that waited would.
func (b *Bucket) Allow(r Rate, now time.Time) (ok bool, next time.Time) {
	if !r.Limited() {
		return true, time.Time{}
	}
	if b.tat.After(now.Add(r.window())) {
		return false, b.tat.Add(-r.window())
	}
	b.take(r, now)
	return true, time.Time{}
}

// Next reports when an event under r would pass, the zero time if at now,
// without spending anything: for a caller that must check several buckets
// before spending from all of them (Take).
func (b *Bucket) Next(r Rate, now time.Time) time.Time {
	if !r.Limited() || !b.tat.After(now.Add(r.window())) {
		return time.Time{}
	}
	return b.tat.Add(-r.window())
}

// Take spends a token for an event at now whether or not one is left, and
// returns how long the event must be held for the rate to be kept: zero
// within the burst. A pacer (which slows a client down rather than
// refusing it) waits that long before going on.
func (b *Bucket) Take(r Rate, now time.Time) time.Duration {
	if !r.Limited() {
		return 0
	}
	b.take(r, now)
	return max(0, b.tat.Sub(now)-time.Duration(r.Burst)*r.Every)
}

func (b *Bucket) take(r Rate, now time.Time) {
	if b.tat.Before(now) {
		b.tat = now
	}
	b.tat = b.tat.Add(r.Every)
}

// Full reports whether the bucket has refilled completely at now: a table
// may then forget it, since a new zero Bucket allows exactly the same.
func (b *Bucket) Full(now time.Time) bool { return !b.tat.After(now) }
