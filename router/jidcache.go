package router

import (
	"mellium.im/xmpp/jid"

	"github.com/muctest/muctest/jidcheck"
)

// jidCache remembers parsed JIDs whose string form is already normalised,
// for Route: a MUC broadcast addresses one copy per occupant to a session's
// full JID, and running PRECIS again on each was about 15% of the server's
// CPU in fan-out profiles. Only strings that parse to themselves are kept,
// so a hit returns exactly what jid.Parse would. The map is cleared when it
// grows past maxJIDCache (jidcheck.Memo), which bounds memory without
// bookkeeping.
type jidCache struct {
	// parseFn parses a string the cache does not hold: jid.Parse (through
	// jidcheck.ParseFast, the same results sooner) when nil.
	parseFn func(string) (jid.JID, error)

	memo jidcheck.Memo[jid.JID]
}

const maxJIDCache = 8192

func (c *jidCache) parse(s string) (jid.JID, error) {
	if j, ok := c.memo.Load(s); ok {
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
	c.memo.Store(s, j, maxJIDCache)
	return j, nil
}
