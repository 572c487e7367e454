package quota

import "time"

// DefaultStateTotalBytes is Limits.StateTotalBytes' default: far above what
// thousands of real accounts store (a roster and a few PEP items each),
// and what a server with a few hundred MB to spare can hold as element
// trees, whose memory is a small multiple of their wire bytes.
const DefaultStateTotalBytes = 64 << 20

// How often Total counts again what every account holds: its estimate
// only grows in between (what Admit lets in), so deletions are seen at the
// next count. A store refused by an estimate over the limit counts again
// sooner, so that space freed meanwhile is found.
const (
	recountEvery    = time.Second
	recountWhenFull = 50 * time.Millisecond
)

// Total bounds the state every account of one server holds together
// (Limits.StateTotalBytes), on top of Budget's per-account bound: in
// any-password mode an attacker makes as many accounts as it likes, each
// within its own quota. It keeps an estimate, recounted with count (the
// sum of Used over every account) at most every second; the owner's lock
// (the router's) guards it.
type Total struct {
	limit   int
	used    int
	counted time.Time
	count   func() int
	now     func() time.Time
}

// NewTotal returns a Total of limit bytes (negative: no limit) whose
// count returns what every account holds now.
func NewTotal(limit int, count func() int) *Total {
	return &Total{limit: limit, count: count, now: time.Now}
}

// Admit reports whether grow more bytes fit within the limit and, if so,
// counts them.
func (t *Total) Admit(grow int) bool {
	if t == nil || t.limit < 0 || grow <= 0 {
		return true
	}
	now := t.now()
	since := now.Sub(t.counted)
	if since >= recountEvery || (t.used+grow > t.limit && since >= recountWhenFull) {
		t.used, t.counted = t.count(), now
	}
	if t.used+grow > t.limit {
		return false
	}
	t.used += grow
	return true
}

// Totaled is implemented by a module.Account whose server bounds every
// account's state together: Budget checks its Total as well.
type Totaled interface {
	QuotaTotal() *Total
}
