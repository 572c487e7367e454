package peers

import (
	"fmt"
	"strings"
	"testing"
)

// TestEnabled pins the gate: CI=true or MUCTEST_ACCEPTANCE=1 run the
// real-peer tests, anything else skips them.
func TestEnabled(t *testing.T) {
	for _, tt := range []struct {
		ci, run string
		want    bool
	}{
		{"", "", false},
		{"false", "", false},
		{"1", "", false}, // CI is true only when it says so, as Need reads it
		{"true", "", true},
		{"", "1", true},
		{"", "0", false},
		{"", "yes", false},
		{"true", "0", true},
	} {
		env := map[string]string{"CI": tt.ci, RunEnv: tt.run}
		if got := Enabled(func(k string) string { return env[k] }); got != tt.want {
			t.Errorf("CI=%q %s=%q: Enabled = %v, want %v", tt.ci, RunEnv, tt.run, got, tt.want)
		}
	}
}

// skipRecorder is a testing.TB whose Skipf records its message instead
// of ending the test, so that Gate can be watched without a child test
// binary.
type skipRecorder struct {
	testing.TB
	name, skipped string
}

func (r *skipRecorder) Helper()      {}
func (r *skipRecorder) Name() string { return r.name }
func (r *skipRecorder) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
}

// TestGateSkipsSayingHow: without CI=true or MUCTEST_ACCEPTANCE=1, Gate
// skips with the command that runs the test; with either it lets the test
// run.
func TestGateSkipsSayingHow(t *testing.T) {
	for _, tt := range []struct {
		ci, run  string
		wantSkip bool
	}{
		{"", "", true},
		{"true", "", false},
		{"", "1", false},
	} {
		t.Setenv("CI", tt.ci)
		t.Setenv(RunEnv, tt.run)
		r := &skipRecorder{TB: t, name: "TestSomePeer"}
		Gate(r)
		if skipped := r.skipped != ""; skipped != tt.wantSkip {
			t.Errorf("CI=%q %s=%q: skipped %v (%q), want %v", tt.ci, RunEnv, tt.run, skipped, r.skipped, tt.wantSkip)
		}
		if want := "run it with: " + RunEnv + "=1 go test -run '^TestSomePeer$' ./internal/peers/"; tt.wantSkip && !strings.Contains(r.skipped, want) {
			t.Errorf("the skip %q does not say %q", r.skipped, want)
		}
	}
}
