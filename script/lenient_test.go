package script

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/muctest/muctest/internal/corpus"
)

// TestLeniencyStillFails checks that lenient receives do not hide real
// failures: against the in-process server, for every corpus script that
// passes, deleting any single "sends" step, or swapping two consecutive
// different receives of one client, must make the script fail. (The one
// send known to have no observable effect, an iq result the server
// ignores, is listed.)
func TestLeniencyStillFails(t *testing.T) {
	t.Parallel() // in-process servers of its own, no package state
	if testing.Short() {
		t.Skip("runs every corpus script many times")
	}
	files := corpus.Scripts(t, "corpus/prosody", "*.scs")
	noEffect := map[string]bool{"basic_roster.scs:56": true}
	for _, f := range files {
		s, err := ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		run := func(steps []*Step) bool {
			m := *s
			m.Steps = steps
			return RunInProcess(context.Background(), &m, DefaultServerConfig(), Options{}).Passed()
		}
		if !run(s.Steps) {
			t.Logf("%s fails against the in-process server: not a runner test", f)
			continue
		}
		for i, st := range s.Steps {
			where := filepath.Base(f) + ":" + strconv.Itoa(st.Line)
			if st.Action == Send && !noEffect[where] {
				steps := append(append([]*Step(nil), s.Steps[:i]...), s.Steps[i+1:]...)
				if run(steps) {
					t.Errorf("%s: script still passes without this send", where)
				}
			}
			if i+1 < len(s.Steps) {
				next := s.Steps[i+1]
				if st.Action == Receive && next.Action == Receive && st.Client == next.Client && st.XML != next.XML {
					steps := append([]*Step(nil), s.Steps...)
					steps[i], steps[i+1] = next, st
					if run(steps) {
						t.Errorf("%s: script still passes with this receive swapped with the next", where)
					}
				}
			}
		}
	}
}
