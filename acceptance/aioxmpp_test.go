package acceptance

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/muctest/muctest/internal/peers"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
)

// aioxmppMissing says why debianPython cannot import aioxmpp, with the
// package that provides it, or "" when it can; found once per test binary.
var aioxmppMissing = sync.OnceValue(func() string {
	out, err := exec.Command(debianPython, "-c", "import aioxmpp").CombinedOutput()
	if err != nil {
		return fmt.Sprintf("%s cannot import aioxmpp (%v: %s); install it with: apt-get install -y python3-aioxmpp",
			debianPython, err, bytes.TrimSpace(out))
	}
	return ""
})

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
	peers.Need(t, aioxmppMissing())
	srv := servertest.New(t, server.Config{AnyPassword: true})
	_, port, _ := net.SplitHostPort(srv.Addr().String())
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout+5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, debianPython, filepath.Join("testdata", "aioxmpp", "aioxmpppeer.py"),
		"--port", port, "--timeout", strconv.Itoa(int(scriptTimeout/time.Second)))
	cmd.WaitDelay = peerWaitDelay
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("aioxmpppeer.py: %v", err)
	}
	for _, want := range []string{"with stream management", "got the PEP notification", "saw the subject set by alice",
		"reflected the tracked message", "kicked with the reason", "blocked and unblocked", "aioxmpp: ok"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("aioxmpppeer.py did not say %q", want)
		}
	}
}
