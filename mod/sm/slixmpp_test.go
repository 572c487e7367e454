package sm_test

import (
	"testing"

	"github.com/muctest/muctest/internal/peers"
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
	peers.Slixmpp(t)
	srv := servertest.New(t, server.Config{Accounts: map[string]string{"alice": "wonderland", "bob": "builder"}})
	t.Log(peers.RunSlixmpp(t, srv.Addr(), "testdata/slixmpp_resume.py", "resumed OK",
		"alice@localhost", "wonderland", "bob@localhost", "builder"))
}
