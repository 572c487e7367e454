package sm_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
)

// debianPython is the interpreter Debian's python3-slixmpp is installed for.
const debianPython = "/usr/bin/python3"

// TestSlixmppResume has a real client library resume a stream: slixmpp's
// xep_0198 plugin, whose TCP connection is aborted in the middle of a burst
// of messages, reconnects and resumes; every message arrives once, in
// order (testdata/slixmpp_resume.py). It needs python3-slixmpp; without
// it the test skips, except under CI=true where that is a failure.
func TestSlixmppResume(t *testing.T) {
	if out, err := exec.Command(debianPython, "-c", "import slixmpp").CombinedOutput(); err != nil {
		msg := "python3-slixmpp is not installed (apt-get install -y python3-slixmpp): " + strings.TrimSpace(string(out))
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	srv := servertest.New(t, server.Config{Accounts: map[string]string{"alice": "wonderland", "bob": "builder"}})
	host, port, err := net.SplitHostPort(srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, debianPython, "testdata/slixmpp_resume.py", host, port,
		"alice@localhost", "wonderland", "bob@localhost", "builder").CombinedOutput()
	if err != nil {
		t.Fatalf("slixmpp_resume.py: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "resumed OK") {
		t.Fatalf("slixmpp_resume.py did not resume:\n%s", out)
	}
	t.Logf("%s", out)
}
