package pace

import (
	"testing"
	"time"
)

// step is one event at an offset from the start, and what Allow (or
// Take) must say of it.
type step struct {
	at   time.Duration
	ok   bool          // Allow's verdict
	next time.Duration // Allow's next turn when refused, from the start
}

func TestAllow(t *testing.T) {
	t0 := time.Unix(1000, 0)
	r := Rate{Burst: 3, Every: time.Second}
	cases := []struct {
		name  string
		rate  Rate
		steps []step
	}{
		{"burst then refused", r, []step{
			{0, true, 0}, {0, true, 0}, {0, true, 0},
			{0, false, time.Second},
			{500 * time.Millisecond, false, time.Second},
			{time.Second, true, 0},
			{time.Second, false, 2 * time.Second},
		}},
		{"a refusal costs nothing", r, []step{
			{0, true, 0}, {0, true, 0}, {0, true, 0},
			{0, false, time.Second}, {0, false, time.Second}, {0, false, time.Second},
			{time.Second, true, 0},
		}},
		{"quiet spell refills up to the burst only", r, []step{
			{0, true, 0},
			{time.Hour, true, 0}, {time.Hour, true, 0}, {time.Hour, true, 0},
			{time.Hour, false, time.Hour + time.Second},
		}},
		{"steady at the rate always passes", r, []step{
			{0, true, 0}, {time.Second, true, 0}, {2 * time.Second, true, 0}, {3 * time.Second, true, 0},
			{4 * time.Second, true, 0}, {5 * time.Second, true, 0},
		}},
		{"burst of one", Rate{Burst: 1, Every: time.Second}, []step{
			{0, true, 0}, {0, false, time.Second}, {999 * time.Millisecond, false, time.Second},
			{time.Second, true, 0},
		}},
		{"zero rate allows everything", Rate{}, []step{
			{0, true, 0}, {0, true, 0}, {0, true, 0}, {0, true, 0},
		}},
		{"negative burst allows everything", Rate{Burst: -1, Every: time.Second}, []step{
			{0, true, 0}, {0, true, 0},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b Bucket
			for i, s := range c.steps {
				now := t0.Add(s.at)
				peek := b.Next(c.rate, now)
				ok, next := b.Allow(c.rate, now)
				if ok != s.ok {
					t.Fatalf("step %d at %v: Allow = %v, want %v", i, s.at, ok, s.ok)
				}
				var want time.Time
				if !s.ok {
					want = t0.Add(s.next)
				}
				if !next.Equal(want) || !peek.Equal(want) {
					t.Fatalf("step %d at %v: next = %v, Next = %v, want %v", i, s.at, next.Sub(t0), peek.Sub(t0), s.next)
				}
			}
		})
	}
}

func TestTake(t *testing.T) {
	t0 := time.Unix(1000, 0)
	r := Rate{Burst: 2, Every: 100 * time.Millisecond}
	var b Bucket
	// The burst passes at once; each event past it waits one interval
	// more than the one before, since nothing was given back meanwhile.
	for i, want := range []time.Duration{0, 0, 100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond} {
		if got := b.Take(r, t0); got != want {
			t.Fatalf("event %d: Take = %v, want %v", i, got, want)
		}
	}
	// The last of those went on at 300ms: one more an interval later
	// passes at once, one more at the same instant waits an interval.
	at := t0.Add(400 * time.Millisecond)
	if got := b.Take(r, at); got != 0 {
		t.Fatalf("one interval after the last: Take = %v, want 0", got)
	}
	if got := b.Take(r, at); got != 100*time.Millisecond {
		t.Fatalf("again at once: Take = %v, want 100ms", got)
	}
	if got := (&Bucket{}).Take(Rate{}, t0); got != 0 {
		t.Fatalf("zero rate: Take = %v, want 0", got)
	}
}

func TestFull(t *testing.T) {
	t0 := time.Unix(1000, 0)
	r := Rate{Burst: 3, Every: time.Second}
	var b Bucket
	if !b.Full(t0) {
		t.Fatal("zero Bucket is not full")
	}
	b.Allow(r, t0)
	b.Allow(r, t0)
	if b.Full(t0.Add(time.Second)) {
		t.Fatal("full after one interval of two spent")
	}
	if !b.Full(t0.Add(2 * time.Second)) {
		t.Fatal("not full after both intervals")
	}
}
