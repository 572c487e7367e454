package acceptance

import (
	"context"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

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
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout+5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, debianPython, filepath.Join("testdata", "slixmpp", "peppeer.py"),
		"--port", port, "--timeout", strconv.Itoa(int(scriptTimeout/time.Second)))
	cmd.WaitDelay = peerWaitDelay
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("peppeer.py: %v", err)
	}
	for _, want := range []string{"got the nickname", "got the avatar", "got the OMEMO device list", "got the bookmark",
		"may not read the bookmarks", "slixmpp pep: ok"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("peppeer.py did not say %q", want)
		}
	}
}
