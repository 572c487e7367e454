package server_test

import (
	"testing"

	"github.com/muctest/muctest/internal/peers"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
)

// TestSlixmppChat is the end-to-end check with a widely used client: two
// slixmpp clients log in with their defaults (STARTTLS, SCRAM) and chat.
// A real peer, it runs under CI=true or MUCTEST_ACCEPTANCE=1 (peers.Gate).
// It needs python3-slixmpp (apt-get install -y python3-slixmpp); without it
// the test skips, except under CI=true where that is a failure.
func TestSlixmppChat(t *testing.T) {
	peers.Slixmpp(t)
	srv := servertest.New(t, server.Config{Accounts: map[string]string{"alice": "wonderland", "bob": "builder"}})
	peers.RunSlixmpp(t, srv.Addr(), "testdata/slixmpp_chat.py", "alice received: Hello Alice",
		"alice@localhost", "wonderland", "bob@localhost", "builder")
}
