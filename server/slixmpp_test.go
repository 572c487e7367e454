package server_test

import (
	"github.com/muctest/muctest/internal/peers"

	"context"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
)

// TestSlixmppChat is the end-to-end check with a widely used client: two
// slixmpp clients log in with their defaults (STARTTLS, SCRAM) and chat.
// A real peer, it runs under CI=true or MUCTEST_ACCEPTANCE=1 (peers.Gate).
// It needs python3-slixmpp (apt-get install -y python3-slixmpp); without it
// the test skips, except under CI=true where that is a failure.
func TestSlixmppChat(t *testing.T) {
	peers.Gate(t) // a real peer: under CI=true or MUCTEST_ACCEPTANCE=1
	peers.NeedSlixmpp(t)
	srv := servertest.New(t, server.Config{Accounts: map[string]string{"alice": "wonderland", "bob": "builder"}})
	host, port, err := net.SplitHostPort(srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, peers.DebianPython, "testdata/slixmpp_chat.py", host, port,
		"alice@localhost", "wonderland", "bob@localhost", "builder")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("slixmpp_chat.py: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "alice received: Hello Alice") {
		t.Fatalf("slixmpp_chat.py did not finish the exchange:\n%s", out)
	}
}
