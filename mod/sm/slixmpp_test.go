package sm_test

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

// TestSlixmppResume has a real client library resume a stream: slixmpp's
// xep_0198 plugin, whose TCP connection is aborted in the middle of a burst
// of messages, reconnects and resumes; every message arrives once, in
// order (testdata/slixmpp_resume.py). A real peer, it runs under CI=true
// or MUCTEST_ACCEPTANCE=1 (peers.Gate). It needs python3-slixmpp; without
// it the test skips, except under CI=true where that is a failure.
func TestSlixmppResume(t *testing.T) {
	peers.Gate(t) // a real peer: under CI=true or MUCTEST_ACCEPTANCE=1
	peers.NeedSlixmpp(t)
	srv := servertest.New(t, server.Config{Accounts: map[string]string{"alice": "wonderland", "bob": "builder"}})
	host, port, err := net.SplitHostPort(srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, peers.DebianPython, "testdata/slixmpp_resume.py", host, port,
		"alice@localhost", "wonderland", "bob@localhost", "builder").CombinedOutput()
	if err != nil {
		t.Fatalf("slixmpp_resume.py: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "resumed OK") {
		t.Fatalf("slixmpp_resume.py did not resume:\n%s", out)
	}
	t.Logf("%s", out)
}
