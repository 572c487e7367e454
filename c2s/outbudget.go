package c2s

// This file bounds the stanzas queued for clients, over every session of a
// server together. Each queue is bounded on its own (Limits.MaxQueueBytes,
// 3 MiB), but a hundred resources of one account that enable carbons and
// never read each fill theirs from every message to any of them: mucd
// went from 11 to 536-635 MB of RSS in two seconds (mucattack
// carbons-fanout). Past its first queueFree bytes a queue takes its bytes
// from the server's budget (Limits.MaxQueueTotalBytes) in chunks and gives
// them back as the writer drains it; a queue that finds the budget spent
// is dropped as too slow, as over MaxQueueBytes. A client that reads keeps
// its queue near empty and never takes from the budget.

// DefaultMaxQueueTotalBytes is Limits.MaxQueueTotalBytes when zero: twenty
// full queues, or sixty joins of rooms with a full history at once.
const DefaultMaxQueueTotalBytes = 64 << 20

// queueFree is what a queue holds before it takes from the budget, and
// queueChunk how much it takes at once.
const (
	queueFree  = 16 << 10
	queueChunk = 16 << 10
)

// settleQueueLocked brings the session's share of Config.QueueBudget in
// step with qbytes, reporting false when the queue has grown past what
// the budget has left (the caller then drops the queue). s.mu is held.
func (s *Session) settleQueueLocked() bool {
	b := s.cfg.QueueBudget
	if b == nil {
		return true
	}
	want := int64(0)
	if q := int64(s.qbytes) - queueFree; q > 0 {
		want = (q + queueChunk - 1) / queueChunk * queueChunk
	}
	switch {
	case want > s.qcharged:
		if !b.take(want - s.qcharged) {
			return false
		}
	case want < s.qcharged:
		b.give(s.qcharged - want)
	}
	s.qcharged = want
	return true
}

// releaseQueueLocked gives back the session's whole share of the queue
// budget (its connection is gone). s.mu is held.
func (s *Session) releaseQueueLocked() {
	if s.qcharged != 0 {
		s.cfg.QueueBudget.give(s.qcharged)
		s.qcharged = 0
	}
}
