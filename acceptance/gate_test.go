package acceptance

import (
	"os"
	"testing"
)

// acceptanceEnv is the variable that runs the package's real-peer tests
// outside CI.
const acceptanceEnv = "MUCTEST_ACCEPTANCE"

// peerRunHint is how to run the real-peer tests; the skip message says it.
const peerRunHint = "spawns real peers (slixmpp, xmpp.js, Chromium, mucd, Prosody) and takes most of a minute: " +
	"runs under CI=true or " + acceptanceEnv + "=1; run it with: " + acceptanceEnv + "=1 go test ./acceptance/"

// peersEnabled reports whether the real-peer tests run, given the
// environment as getenv reads it: under CI=true (where .ci/run installed
// every peer, and a missing one fails) or when MUCTEST_ACCEPTANCE=1 asks
// for them.
func peersEnabled(getenv func(string) string) bool {
	return getenv("CI") == "true" || getenv(acceptanceEnv) == "1"
}

// peerTest is the gate of every test here that spawns a real peer: it
// skips t, saying how to run it, unless peersEnabled. Those tests are
// nearly all of go test ./...'s wall time (they wait for the peers'
// starts, logins and timeouts), so a plain go test ./... skips them and
// CI, which sets CI=true, runs them all. Once past the gate, a missing
// peer skips locally and fails under CI=true (require).
func peerTest(t *testing.T) {
	t.Helper()
	if !peersEnabled(os.Getenv) {
		t.Skip(peerRunHint)
	}
}

// TestPeersEnabled pins the gate: CI=true or MUCTEST_ACCEPTANCE=1 run the
// real-peer tests, anything else skips them.
func TestPeersEnabled(t *testing.T) {
	for _, tt := range []struct {
		ci, acceptance string
		want           bool
	}{
		{"", "", false},
		{"false", "", false},
		{"1", "", false}, // CI is true only when it says so, as peers.Need reads it
		{"true", "", true},
		{"", "1", true},
		{"", "0", false},
		{"", "yes", false},
		{"true", "0", true},
	} {
		env := map[string]string{"CI": tt.ci, acceptanceEnv: tt.acceptance}
		if got := peersEnabled(func(k string) string { return env[k] }); got != tt.want {
			t.Errorf("CI=%q %s=%q: peersEnabled = %v, want %v", tt.ci, acceptanceEnv, tt.acceptance, got, tt.want)
		}
	}
}
