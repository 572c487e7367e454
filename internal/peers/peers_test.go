package peers

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestNeedUnderCI runs Need in a child test binary with CI set either way:
// a missing peer skips locally and fails under CI=true; nothing missing
// passes both ways.
func TestNeedUnderCI(t *testing.T) {
	if why := os.Getenv("PEERS_TEST_WHY"); os.Getenv("PEERS_TEST_CHILD") == "1" {
		Need(t, why)
		return
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		ci, why  string
		wantFail bool
		wantSkip bool
	}{
		{"true", "peer gone", true, false},
		{"", "peer gone", false, true},
		{"true", "", false, false},
		{"", "", false, false},
	} {
		cmd := exec.Command(self, "-test.run", "^TestNeedUnderCI$", "-test.v")
		cmd.Env = append(os.Environ(), "PEERS_TEST_CHILD=1", "CI="+tt.ci, "PEERS_TEST_WHY="+tt.why)
		out, err := cmd.CombinedOutput()
		failed := err != nil
		skipped := !failed && strings.Contains(string(out), "--- SKIP")
		if failed != tt.wantFail || skipped != tt.wantSkip {
			t.Errorf("CI=%q why=%q: failed %v skipped %v, want %v %v\n%s", tt.ci, tt.why, failed, skipped, tt.wantFail, tt.wantSkip, out)
		}
	}
}
