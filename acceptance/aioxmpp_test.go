package acceptance

import (
	"net"
	"testing"

	"github.com/muctest/muctest/internal/peers"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
)

// TestAioxmpp drives a second Python client library, aioxmpp (Debian's
// python3-aioxmpp 0.13), whose own end-to-end suite passes against mucd:
// two sessions log in over STARTTLS with stream management, get a PEP
// notification of their own publish through entity caps +notify, create,
// configure and share a room (subject and its setter, a tracked message
// reflected with its id, a kick with its reason) and block and unblock
// JIDs (testdata/aioxmpp/aioxmpppeer.py says how). aioxmpp's tracker and
// its room state are stricter than slixmpp about what the room reflects:
// a reflected message with another id never counts as delivered, and a
// kick without status 307 is a plain leave.
func TestAioxmpp(t *testing.T) {
	peerTest(t)
	t.Parallel() // a server of its own
	peers.Need(t, peers.AioxmppMissing())
	srv := servertest.New(t, server.Config{AnyPassword: true})
	_, port, _ := net.SplitHostPort(srv.Addr().String())
	runScript(t, "aioxmpp/aioxmpppeer.py", target{"127.0.0.1", port, "localhost"}, []string{"with stream management",
		"got the PEP notification", "saw the subject set by alice", "reflected the tracked message",
		"kicked with the reason", "blocked and unblocked", "aioxmpp: ok"})
}
