package quota

import (
	"testing"
	"time"
)

// TestTotalAdmit: Total admits growth until its estimate reaches the
// limit, counts what it admits, and sees what was freed only at a recount
// (every recountEvery, or recountWhenFull after a refusal).
func TestTotalAdmit(t *testing.T) {
	held := 0
	clock := time.Unix(0, 0)
	tot := NewTotal(1000, func() int { return held })
	tot.now = func() time.Time { return clock }
	admit := func(grow int, want bool) {
		t.Helper()
		if got := tot.Admit(grow); got != want {
			t.Fatalf("Admit(%d) with estimate %d = %v, want %v", grow, tot.used, got, want)
		}
		if want {
			held += grow // the store keeps it
		}
	}
	admit(600, true)
	admit(400, true)
	admit(1, false)
	held = 100 // the stores dropped most of it: not seen yet
	clock = clock.Add(recountWhenFull - time.Millisecond)
	admit(1, false)
	clock = clock.Add(time.Millisecond)
	admit(900, true) // a refusal recounts once recountWhenFull passed
	admit(1, false)
	admit(0, true)
	admit(-50, true)
	held = 0
	clock = clock.Add(recountEvery)
	admit(1000, true)

	if !NewTotal(-1, func() int { return 1 << 40 }).Admit(1 << 30) {
		t.Error("a negative limit refused a store")
	}
	var none *Total
	if !none.Admit(1) {
		t.Error("a nil Total refused a store")
	}
}
