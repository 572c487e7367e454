package acceptance

import (
	"context"
	"crypto/rand"
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

// runScript runs one of testdata's self-contained peer scripts (a path
// under testdata, e.g. slixmpp/mampeer.py) against srv and fails the test
// unless it exits 0 having printed every line of want. It returns the
// script's output.
func runScript(t *testing.T, script string, srv target, want []string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout+5*time.Second)
	defer cancel()
	args = append([]string{filepath.Join("testdata", script),
		"--host", srv.host, "--port", srv.port, "--domain", srv.domain,
		"--timeout", strconv.Itoa(int(scriptTimeout / time.Second))}, args...)
	cmd := exec.CommandContext(ctx, debianPython, args...)
	cmd.WaitDelay = peerWaitDelay
	out, err := cmd.CombinedOutput()
	t.Logf("%s:\n%s", script, indent(string(out)))
	if err != nil {
		t.Fatalf("%s: %v", script, err)
	}
	for _, w := range want {
		if !strings.Contains(string(out), w) {
			t.Errorf("%s did not say %q", script, w)
		}
	}
	return string(out)
}

// tag is a fresh account suffix, so that a long-lived server (mucd,
// REALCLIENTS_ADDR) starts every run with empty archives.
func tag() string { return strings.ToLower(rand.Text()[:8]) }

// mamExchange is the archive scenario of testdata/slixmpp/mampeer.py.
func mamExchange(t *testing.T, srv target) {
	t.Helper()
	tg := tag()
	runScript(t, "slixmpp/mampeer.py", srv, []string{
		"24 messages exchanged, each with a stanza-id",
		"paged her archive forwards: 24 messages in 5 pages of 5, in order, once each",
		"paged her archive backwards: 24 messages in 5 pages, the same ids",
		"backwards: 24 messages, in order, once each",
		"slixmpp mam: ok",
	}, "--alice", "alice-mam-"+tg, "--bob", "bob-mam-"+tg, "--messages", "12", "--page", "5")
}

// TestMAMSlixmpp is issue 14's archive check with a real client: two
// slixmpp sessions chat, then page their archives (XEP-0313 with
// XEP-0059) forwards and backwards with slixmpp's xep_0313 plugin; every
// message both ways is there once, in order, under the stanza-id it was
// delivered with. Against the in-process server with the default modules
// (mod/mam with SmartEnable) and against cmd/mucd.
func TestMAMSlixmpp(t *testing.T) {
	peerTest(t)
	t.Parallel() // servers of its own
	require(t, slixmpp)
	if srv, ok := external(t); ok {
		mamExchange(t, srv)
		return
	}
	t.Run("in-process", func(t *testing.T) {
		t.Parallel()
		srv := servertest.New(t, server.Config{AnyPassword: true})
		_, port, _ := net.SplitHostPort(srv.Addr().String())
		mamExchange(t, target{"127.0.0.1", port, "localhost"})
	})
	t.Run("mucd", func(t *testing.T) {
		t.Parallel()
		mamExchange(t, runMucd(t, mucdBinary(t)))
	})
}
