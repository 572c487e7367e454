package acceptance

import (
	"testing"

	"github.com/muctest/muctest/internal/peers"
)

// peerTest is the gate of every test here that spawns a real peer
// (peers.Gate): it skips t, saying how to run it, unless CI=true or
// MUCTEST_ACCEPTANCE=1. Those tests are nearly all of go test ./...'s
// wall time (they wait for the peers' starts, logins and timeouts), so a
// plain go test ./... skips them, and CI, which sets CI=true, runs them
// all. Once past the gate, a missing peer skips locally and fails under
// CI=true (require).
func peerTest(t *testing.T) {
	t.Helper()
	peers.Gate(t)
}
