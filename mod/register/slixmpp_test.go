package register_test

import (
	"strings"
	"testing"

	"github.com/muctest/muctest/internal/peers"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
)

// TestSlixmppRegistration runs a widely used client's XEP-0077 and
// XEP-0050 support against the server: slixmpp registers an account
// before authenticating, logs in with it, runs the ping command, changes
// its password, logs in with the new one and removes the account; the
// server is then checked for the tombstone. A real peer, it runs under
// CI=true or MUCTEST_ACCEPTANCE=1 (peers.Gate). It needs python3-slixmpp;
// without it the test skips, except under CI=true where that is a failure.
func TestSlixmppRegistration(t *testing.T) {
	peers.Slixmpp(t)
	srv := servertest.New(t, server.Config{Accounts: map[string]string{}, AllowRegistration: true})
	peers.RunSlixmpp(t, srv.Addr(), "testdata/slixmpp_register.py", "account removed", "newcomer@localhost", "first")
	// The name is taken by its tombstone now.
	r := servertest.DialRaw(t, srv)
	r.Open(servertest.StreamHeader)
	r.Send(`<iq type="set" id="again"><query xmlns="jabber:iq:register"><username>newcomer</username><password>x</password></query></iq>`)
	if got := r.Next(); !strings.Contains(got.String(), "recently deleted") {
		t.Fatalf("removed name registered again: %s", got)
	}
}
