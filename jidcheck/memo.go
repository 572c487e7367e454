package jidcheck

import "sync"

// Memo remembers what was derived from address strings (a parsed JID, its
// bare form) for code that sees the same few addresses again and again: a
// MUC broadcast addresses every occupant's full JID, a presence broadcast
// runs hooks once per contact with the same sender. It holds at most max
// entries (given to Store) and is cleared when full, which bounds memory
// without bookkeeping: a hostile stream of distinct addresses costs a
// derivation again, never memory. The zero value is empty and ready; it
// is safe for concurrent use.
type Memo[V any] struct {
	mu sync.Mutex
	m  map[string]V
}

// Load returns what was stored for s, if it is still remembered.
func (c *Memo[V]) Load(s string) (V, bool) {
	c.mu.Lock()
	v, ok := c.m[s]
	c.mu.Unlock()
	return v, ok
}

// Store remembers v for s, forgetting everything first when max entries
// are held already.
func (c *Memo[V]) Store(s string, v V, max int) {
	c.mu.Lock()
	if c.m == nil || len(c.m) >= max {
		c.m = make(map[string]V)
	}
	c.m[s] = v
	c.mu.Unlock()
}

// Len returns how many entries are remembered, for tests of a bound.
func (c *Memo[V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
