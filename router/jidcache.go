package router

import (
	"sync"

	"mellium.im/xmpp/jid"

	"github.com/muctest/muctest/jidcheck"
)

// jidCache remembers parsed JIDs whose string form is already normalised,
// for Route: a MUC broadcast addresses one copy per occupant to a session's
// full JID, and running PRECIS again on each was about 15% of the server's
// CPU in fan-out profiles. Only strings that parse to themselves are kept,
// so a hit returns exactly what jid.Parse would. The map is cleared when it
// grows past maxJIDCache, which bounds memory without bookkeeping.
type jidCache struct {
	// parseFn parses a string the cache does not hold: jid.Parse (through
	// jidcheck.ParseFast, the same results sooner) when nil.
	parseFn func(string) (jid.JID, error)

	mu sync.Mutex
	m  map[string]jid.JID
}

const maxJIDCache = 8192

func (c *jidCache) parse(s string) (jid.JID, error) {
	c.mu.Lock()
	j, ok := c.m[s]
	c.mu.Unlock()
	if ok {
		return j, nil
	}
	parse := c.parseFn
	if parse == nil {
		parse = jidcheck.ParseFast
	}
	j, err := parse(s)
	if err != nil || j.String() != s {
		return j, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxJIDCache {
		c.m = make(map[string]jid.JID)
	}
	c.m[s] = j
	c.mu.Unlock()
	return j, nil
}
