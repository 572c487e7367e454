package peers

import (
	"os"
	"os/exec"
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

// TestGateSkipsSayingHow runs Gate in a child test binary: without CI or
// MUCTEST_ACCEPTANCE it skips with the command that runs the test; with
// either it lets the test run.
func TestGateSkipsSayingHow(t *testing.T) {
	if os.Getenv("PEERS_GATE_CHILD") == "1" {
		Gate(t)
		t.Log("past the gate")
		return
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		ci, run  string
		wantSkip bool
	}{
		{"", "", true},
		{"true", "", false},
		{"", "1", false},
	} {
		cmd := exec.Command(self, "-test.run", "^TestGateSkipsSayingHow$", "-test.v")
		cmd.Env = append(os.Environ(), "PEERS_GATE_CHILD=1", "CI="+tt.ci, RunEnv+"="+tt.run)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("CI=%q %s=%q: %v\n%s", tt.ci, RunEnv, tt.run, err, out)
		}
		skipped := strings.Contains(string(out), "--- SKIP")
		if skipped != tt.wantSkip || skipped == strings.Contains(string(out), "past the gate") {
			t.Errorf("CI=%q %s=%q: skipped %v, want %v\n%s", tt.ci, RunEnv, tt.run, skipped, tt.wantSkip, out)
		}
		if want := "run it with: " + RunEnv + "=1 go test -run '^TestGateSkipsSayingHow$' ./internal/peers/"; skipped && !strings.Contains(string(out), want) {
			t.Errorf("the skip does not say %q:\n%s", want, out)
		}
	}
}
