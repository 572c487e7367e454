package router

import (
	"net"
	"time"
)

// DefaultMaxAccounts is Config.MaxAccounts when zero: far more than a test
// suite or a load test makes, few enough that names invented by a client
// (a message to each of a million made-up accounts) cannot grow the
// server without bound.
const DefaultMaxAccounts = 1 << 20

// maxTrackedAddrs bounds the addresses whose new accounts are counted.
const maxTrackedAddrs = 10000

// newCaps bounds the accounts any-password mode makes on the fly (issue
// 11: every quota in numbers): in all, and per remote address per minute
// for first logins. Guarded by Router.mu.
type newCaps struct {
	max, perAddr int
	recent       map[string][]time.Time
}

// mayCreateLocked reports whether one more account may be made on the fly
// for a client at addr ("" when not known: a delivery to an unknown name),
// and counts it if so.
func (s *Router) mayCreateLocked(addr string) bool {
	c := &s.caps
	if c.max > 0 && len(s.accounts) >= c.max {
		return false
	}
	if addr == "" || c.perAddr <= 0 {
		return true
	}
	now := time.Now()
	keep := func(ts []time.Time) []time.Time {
		i := 0
		for i < len(ts) && now.Sub(ts[i]) >= time.Minute {
			i++
		}
		return ts[i:]
	}
	if c.recent == nil {
		c.recent = map[string][]time.Time{}
	}
	c.recent[addr] = keep(c.recent[addr])
	if len(c.recent) > maxTrackedAddrs {
		for a, ts := range c.recent {
			if ts = keep(ts); len(ts) == 0 {
				delete(c.recent, a)
			} else {
				c.recent[a] = ts
			}
		}
		if len(c.recent) > maxTrackedAddrs {
			return false
		}
	}
	if len(c.recent[addr]) >= c.perAddr {
		return false
	}
	c.recent[addr] = append(c.recent[addr], now)
	return true
}

// hostOf is remote's IP address without its port ("" for nil).
func hostOf(remote net.Addr) string {
	if remote == nil {
		return ""
	}
	h, _, err := net.SplitHostPort(remote.String())
	if err != nil {
		return remote.String()
	}
	return h
}
