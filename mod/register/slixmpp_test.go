package register_test

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

// TestSlixmppRegistration runs a widely used client's XEP-0077 and
// XEP-0050 support against the server: slixmpp registers an account
// before authenticating, logs in with it, runs the ping command, changes
// its password, logs in with the new one and removes the account; the
// server is then checked for the tombstone. A real peer, it runs under
// CI=true or MUCTEST_ACCEPTANCE=1 (peers.Gate). It needs python3-slixmpp;
// without it the test skips, except under CI=true where that is a failure.
func TestSlixmppRegistration(t *testing.T) {
	peers.Gate(t) // a real peer: under CI=true or MUCTEST_ACCEPTANCE=1
	peers.NeedSlixmpp(t)
	const python = peers.DebianPython
	srv := servertest.New(t, server.Config{Accounts: map[string]string{}, AllowRegistration: true})
	host, port, err := net.SplitHostPort(srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, python, "testdata/slixmpp_register.py", host, port, "newcomer@localhost", "first").CombinedOutput()
	if err != nil {
		t.Fatalf("slixmpp_register.py: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "account removed") {
		t.Fatalf("slixmpp_register.py did not finish:\n%s", out)
	}
	// The name is taken by its tombstone now.
	r := servertest.DialRaw(t, srv)
	r.Open(servertest.StreamHeader)
	r.Send(`<iq type="set" id="again"><query xmlns="jabber:iq:register"><username>newcomer</username><password>x</password></query></iq>`)
	if got := r.Next(); !strings.Contains(got.String(), "recently deleted") {
		t.Fatalf("removed name registered again: %s", got)
	}
}
