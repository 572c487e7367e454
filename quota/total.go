package quota

import "github.com/muctest/muctest/module"

// DefaultTotalBytes is Limits.TotalBytes when zero: every account's
// private XML, vCards, rosters, blocklists and offline messages together
// (16 accounts at AccountBytes), where 10,000 accounts at their own bound
// would reach 40 GB. The figure is wire bytes; held as element trees they
// cost up to about three times as much in memory (package xmlnode), so
// that a server on a network under attack grows by a few hundred MB at
// most, the bound issue 11's attack battery holds it to.
const DefaultTotalBytes = 64 << 20

// Total bounds the bytes every account's modules hold together
// (Limits.TotalBytes, over what Used counts per account). The router keeps
// one per server and gives it with each account (TotalKeeper); Budget
// checks it after the account's own bound, so that many accounts each
// within AccountBytes (any-password mode makes an account of every name)
// cannot make the server hold more than TotalBytes.
//
// Modules report their sizes only as a store grows (Budget), not when
// they shrink (a roster item removed, offline messages delivered), so
// Total keeps each account's last known figure and refreshes a few
// accounts' figures at every Budget, round robin, and up to
// refreshWhenFull more before it refuses: a refusal is never caused by an
// account that gave its bytes back, while the work per stanza stays
// bounded. Not safe for concurrent use: the router's lock guards it.
type Total struct {
	limit   int
	sum     int
	index   map[module.Account]int // entries' position
	entries []totalEntry
	next    int // the next entry to refresh
}

type totalEntry struct {
	a     module.Account
	bytes int
}

// How many accounts' figures Admit refreshes: at every call, and before
// it refuses.
const (
	refreshPerAdmit = 4
	refreshWhenFull = 1024
)

// NewTotal returns a Total of limit bytes (TotalBytes after WithDefaults;
// negative: no limit).
func NewTotal(limit int) *Total {
	return &Total{limit: limit, index: map[module.Account]int{}}
}

// TotalKeeper is implemented by an account whose server keeps a Total
// (the router's accounts): Budget checks it.
type TotalKeeper interface {
	QuotaTotal() *Total
}

// Used returns the bytes Total counts now: every account's last known
// figure, the stores Admit let grow included.
func (t *Total) Used() int { return t.sum }

// Admit reports whether a, which holds used bytes now (Used), may grow by
// grow bytes within the limit, and counts them when it may. A shrink
// (grow <= 0) is always admitted and counted.
func (t *Total) Admit(a module.Account, used, grow int) bool {
	if t == nil || t.limit < 0 {
		return true
	}
	t.set(a, used)
	t.refresh(a, refreshPerAdmit)
	if grow > 0 && t.sum+grow > t.limit {
		t.refresh(a, refreshWhenFull)
		if t.sum+grow > t.limit {
			return false
		}
	}
	t.set(a, used+grow)
	return true
}

// Forget drops a's figure (its state is gone). Accounts whose figure
// refreshes to zero are forgotten as well, so a removed account is never
// kept alive by the Total for long.
func (t *Total) Forget(a module.Account) {
	if i, ok := t.index[a]; ok {
		t.drop(i)
	}
}

// set records a's figure.
func (t *Total) set(a module.Account, bytes int) {
	if bytes < 0 {
		bytes = 0
	}
	i, ok := t.index[a]
	if !ok {
		if bytes == 0 {
			return
		}
		t.index[a] = len(t.entries)
		t.entries = append(t.entries, totalEntry{a, bytes})
		t.sum += bytes
		return
	}
	t.sum += bytes - t.entries[i].bytes
	t.entries[i].bytes = bytes
}

// refresh reads up to n other accounts' figures again, round robin,
// dropping those that hold nothing.
func (t *Total) refresh(self module.Account, n int) {
	for n = min(n, len(t.entries)); n > 0; n-- {
		if t.next >= len(t.entries) {
			t.next = 0
		}
		e := &t.entries[t.next]
		if e.a == self {
			t.next++
			continue
		}
		now := Used(e.a)
		t.sum += now - e.bytes
		e.bytes = now
		if now == 0 {
			t.drop(t.next) // the last entry moves here: look at it next
			continue
		}
		t.next++
	}
}

// drop removes entry i (the last one takes its place).
func (t *Total) drop(i int) {
	e := t.entries[i]
	t.sum -= e.bytes
	delete(t.index, e.a)
	last := len(t.entries) - 1
	if i != last {
		t.entries[i] = t.entries[last]
		t.index[t.entries[i].a] = i
	}
	t.entries[last] = totalEntry{}
	t.entries = t.entries[:last]
}
