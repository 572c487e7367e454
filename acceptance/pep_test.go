package acceptance

import (
	"net"
	"testing"

	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
)

// TestPEPSlixmpp is issue 12's real-client check: slixmpp (xep_0060,
// xep_0163, xep_0084, xep_0172 and XEP-0402 items published by hand)
// publishes a nickname, an avatar, an OMEMO device list and a bookmark;
// a contact whose caps say +notify gets the first three, the publisher's
// second session the bookmark, and the contact may not read the bookmarks
// (testdata/slixmpp/peppeer.py says how).
func TestPEPSlixmpp(t *testing.T) {
	peerTest(t)
	t.Parallel() // a server of its own
	require(t, slixmpp)
	srv := servertest.New(t, server.Config{AnyPassword: true})
	_, port, _ := net.SplitHostPort(srv.Addr().String())
	runScript(t, "slixmpp/peppeer.py", target{"127.0.0.1", port, "localhost"}, []string{"got the nickname",
		"got the avatar", "got the OMEMO device list", "got the bookmark", "may not read the bookmarks", "slixmpp pep: ok"})
}
