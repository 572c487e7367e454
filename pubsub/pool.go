package pubsub

import "sync/atomic"

// Pool bounds the items of many services together, in wire bytes: every
// account's PEP service (XEP-0163) shares one, since in any-password mode
// an attacker makes as many accounts as it likes, each within its own
// MaxServiceBytes. Services with different locks may share it.
type Pool struct {
	// Limit is the most bytes the services' items may hold together.
	Limit int64
	used  atomic.Int64
}

// NewPool returns a Pool of limit bytes.
func NewPool(limit int64) *Pool { return &Pool{Limit: limit} }

// Used returns the bytes the services hold together.
func (p *Pool) Used() int64 { return p.used.Load() }

// fits reports whether the services may grow by d bytes (a nil Pool, or a
// shrink, always may).
func (p *Pool) fits(d int) bool {
	return p == nil || d <= 0 || p.used.Load()+int64(d) <= p.Limit
}

// addBytes counts d more bytes (negative: fewer) of s's items, in s and in
// its Pool.
func (s *Service) addBytes(d int) {
	s.bytes += d
	if p := s.cfg.Quotas.Pool; p != nil {
		p.used.Add(int64(d))
	}
}
