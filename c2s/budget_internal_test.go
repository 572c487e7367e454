package c2s

import "testing"

// TestBudgetShares: sessions take a Budget's bytes until it is spent,
// give them back, and a queue's share follows its bytes in whole chunks
// past queueFree (settleQueueLocked), refusing growth past the budget.
func TestBudgetShares(t *testing.T) {
	b := NewBudget(0, 100)
	if !b.take(60) || !b.take(40) || b.take(1) {
		t.Fatalf("take past the limit: used %d", b.Used())
	}
	b.give(100)
	if b.Used() != 0 || !NewBudget(-1, 100).take(1<<40) {
		t.Fatal("give, or a negative limit")
	}

	cfg := &Config{QueueBudget: NewBudget(2*queueChunk, 0)}
	a, c := &Session{cfg: cfg}, &Session{cfg: cfg}
	for _, st := range []struct {
		s      *Session
		qbytes int
		ok     bool
		used   int64
	}{
		{a, queueFree, true, 0},              // within what a queue holds free
		{a, queueFree + 1, true, queueChunk}, // one chunk
		{c, queueFree + queueChunk, true, 2 * queueChunk},
		{a, queueFree + queueChunk + 1, false, 2 * queueChunk}, // spent: refused, share kept
		{c, 0, true, queueChunk},                               // drained: given back
		{a, queueFree + queueChunk + 1, true, 2 * queueChunk},  // room again
	} {
		st.s.qbytes = st.qbytes
		if ok := st.s.settleQueueLocked(); ok != st.ok || cfg.QueueBudget.Used() != st.used {
			t.Fatalf("qbytes %d: settle %v, used %d; want %v, %d", st.qbytes, ok, cfg.QueueBudget.Used(), st.ok, st.used)
		}
	}
}
