package c2s

import (
	"errors"
	"sync/atomic"
)

// This file bounds the stanzas being read, over every session of a server
// together. Each stanza is bounded on its own (Limits.MaxStanzaBytes,
// MaxElements), but a partly read stanza is held as an element tree until
// its last byte or the stanza timeout: 1,000 sessions each holding 240 KB
// of a message body took mucd to 447 MB of RSS, 278 sessions each holding a
// message of 4,900 children to 556 MB (mucattack partial-stanza-hold-*).
// Past the first inflightFree bytes of a stanza, which every ordinary
// stanza fits, each session takes its bytes from the server's budget
// (Limits.MaxInFlightBytes) in chunks, and gives them back when the next
// stanza starts or the session ends. A session that finds the budget spent
// ends with a resource-constraint stream error; sessions sending small
// stanzas are never affected.

// DefaultMaxInFlightBytes is Limits.MaxInFlightBytes when zero: 32 of the
// largest stanzas at once, a few hundred large ones (avatars, bookmarks),
// and no more than a few tens of MB of element trees.
const DefaultMaxInFlightBytes = 8 << 20

// inflightFree is what a stanza reads before it takes from the budget,
// and inflightChunk how much it takes at once.
const (
	inflightFree  = 2 << 10
	inflightChunk = 4 << 10
)

// errInFlight ends a session that would take the server past its budget.
var errInFlight = errors.New("c2s: too many large stanzas being read on the server")

// Budget is bytes shared by every session of one server: Config.InFlight
// (stanzas being read) and Config.QueueBudget (stanzas queued for
// clients).
type Budget struct {
	limit int64 // negative: no bound
	used  atomic.Int64
}

// NewBudget returns a budget of limit bytes; zero means def, negative no
// bound (as Limits.MaxInFlightBytes and MaxQueueTotalBytes say).
func NewBudget(limit, def int64) *Budget {
	if limit == 0 {
		limit = def
	}
	return &Budget{limit: limit}
}

// Used returns the bytes the server's sessions hold of it now.
func (b *Budget) Used() int64 { return b.used.Load() }

// take reserves n bytes, reporting whether they fit.
func (b *Budget) take(n int64) bool {
	if b == nil || b.limit < 0 {
		return true
	}
	if b.used.Add(n) > b.limit {
		b.used.Add(-n)
		return false
	}
	return true
}

func (b *Budget) give(n int64) {
	if b != nil && b.limit >= 0 && n != 0 {
		b.used.Add(-n)
	}
}

// charge takes the next chunk of the budget for a stanza that has read
// past what it holds (c.n > c.charged+inflightFree).
func (c *countingReader) charge() error {
	if !c.pool.take(inflightChunk) {
		c.uncharge() // the session ends: others may have it at once
		return errInFlight
	}
	c.charged += inflightChunk
	return nil
}

// uncharge gives the stanza's chunks back.
func (c *countingReader) uncharge() {
	c.pool.give(c.charged)
	c.charged = 0
}
