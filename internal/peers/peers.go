// Package peers finds the real peers some tests drive, Debian's
// python3-slixmpp first: such a test skips on a machine without its peer
// and fails under CI=true, where .ci/run has installed every peer, so that
// CI cannot pass by skipping. Gate comes first in such a test: it runs
// only under CI=true or MUCTEST_ACCEPTANCE=1, so that a plain
// go test ./... does not wait for the peers.
package peers

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// DebianPython is the interpreter Debian's python3-slixmpp is installed
// for; the python3 first in PATH may be another one without it.
const DebianPython = "/usr/bin/python3"

// Need skips t with why, or fails it when CI=true; an empty why (nothing
// missing) does neither.
func Need(t testing.TB, why string) {
	t.Helper()
	if why == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal(why)
	}
	t.Skip(why)
}

// SlixmppMissing and AioxmppMissing say why DebianPython cannot import
// that client library, with the Debian package that provides it, or ""
// when it can. The answer is found once per test binary.
var (
	SlixmppMissing = pythonMissing("slixmpp", "python3-slixmpp")
	AioxmppMissing = pythonMissing("aioxmpp", "python3-aioxmpp")
)

// pythonMissing returns a check, run once, of whether DebianPython can
// import module, which Debian's package pkg provides.
func pythonMissing(module, pkg string) func() string {
	return sync.OnceValue(func() string {
		out, err := exec.Command(DebianPython, "-c", "import "+module).CombinedOutput()
		if err != nil {
			return fmt.Sprintf("%s cannot import %s (%v: %s); install it with: apt-get install -y %s",
				DebianPython, module, err, bytes.TrimSpace(out), pkg)
		}
		return ""
	})
}

// NeedSlixmpp is Need for slixmpp.
func NeedSlixmpp(t testing.TB) {
	t.Helper()
	Need(t, SlixmppMissing())
}

// Slixmpp is what a test that drives a slixmpp script calls first: Gate,
// then NeedSlixmpp, before it starts a server for the script.
func Slixmpp(t testing.TB) {
	t.Helper()
	Gate(t)
	NeedSlixmpp(t)
}

// RunSlixmpp runs the slixmpp script (a path from the test's package
// folder) with DebianPython against the server at addr: its host and port
// come first on the command line, then args. It fails t, with what the
// script printed, when the script fails, runs over a minute, or does not
// print done; it returns that output for the test's own checks.
func RunSlixmpp(t testing.TB, addr net.Addr, script, done string, args ...string) string {
	t.Helper()
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, DebianPython, append([]string{script, host, port}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out)
	}
	if !bytes.Contains(out, []byte(done)) {
		t.Fatalf("%s did not say %q:\n%s", script, done, out)
	}
	return string(out)
}
