package throttle

import (
	"net"
	"testing"
	"time"
)

// TestAuthThrottle steps a throttle through failures on a fake clock: the
// backoff starts at the Free-th failure, doubles, stops at Max, is
// cleared for the account by a success but not for the address, and an
// address's count is forgotten after authForget.
func TestAuthThrottle(t *testing.T) {
	now := time.Unix(1000, 0)
	th := NewAuth(AuthBackoff{Free: 2, Max: 4 * time.Second})
	th.now = func() time.Time { return now }
	ip := &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 1}
	other := &net.TCPAddr{IP: net.IPv4(192, 0, 2, 2), Port: 1}
	type step struct {
		advance time.Duration
		do      string // "fail", "ok", or "" (only check)
		remote  *net.TCPAddr
		user    string
		allowed bool // Allow(remote, user) after the step
	}
	steps := []step{
		{0, "fail", ip, "alice", true},
		{0, "fail", ip, "alice", false}, // 2 failures: 1 s backoff for alice
		{0, "", other, "bob", true},     // others unaffected
		{0, "", ip, "bob", true},        // the address has 8 free
		{999 * time.Millisecond, "", ip, "alice", false},
		{time.Millisecond, "", ip, "alice", true},
		{0, "fail", ip, "alice", false}, // 3rd: 2 s
		{2 * time.Second, "", ip, "alice", true},
		{0, "fail", ip, "alice", false}, // 4th: 4 s
		{0, "fail", ip, "alice", false}, // 5th: 8 s, capped at Max
		{4 * time.Second, "", ip, "alice", true},
		{0, "ok", ip, "alice", true},   // success clears alice
		{0, "fail", ip, "alice", true}, // counted from zero again
		{0, "fail", ip, "carol", true}, // address: 7 failures so far
		{0, "fail", other, "dave", true},
		{0, "fail", ip, "erin", false}, // address: 8, held for any account
		{0, "", ip, "", false},
		{0, "", other, "", true},
		{authForget, "", ip, "", true},
		{0, "fail", ip, "frank", true}, // forgotten: one failure of 8
	}
	for i, s := range steps {
		now = now.Add(s.advance)
		switch s.do {
		case "fail":
			th.Failed(s.remote, s.user)
		case "ok":
			th.Succeeded(s.remote, s.user)
		}
		if got := th.Allow(s.remote, s.user); got != s.allowed {
			t.Fatalf("step %d (%+v): Allow = %v, want %v", i, s, got, s.allowed)
		}
	}
	if NewAuth(AuthBackoff{Free: -1}).Hook() != nil {
		t.Fatal("Free < 0 must turn throttling off (no hook)")
	}
}
