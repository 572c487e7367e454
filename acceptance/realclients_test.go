package acceptance

import (
	"github.com/muctest/muctest/internal/peers"

	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
)

// scriptTimeout bounds each client script; they pass it on to their own
// timer (the whole run), so a hung exchange fails with the script's own
// message before the test kills it. Only a hang waits it out: it is
// generous because the package's exchanges run at once (peerParallel),
// on machines other jobs load too.
const scriptTimeout = 60 * time.Second

// peerWaitDelay is how long a client script's output may still be read
// after it exited (exec.Cmd.WaitDelay): only a descendant holding the pipe
// open waits it out. A second was too short for the reading goroutine on
// a loaded machine: a script that had passed failed with "WaitDelay
// expired before I/O complete".
const peerWaitDelay = 10 * time.Second

// debianPython is the interpreter python3-slixmpp is installed for; the
// python3 first in PATH may be another one (pyenv) without it.
const debianPython = peers.DebianPython

// realClient is one XMPP client library driven by its mucpeer script.
type realClient struct {
	name string
	// missing says why the client cannot run here, or "" when it can.
	missing func() string
	// command returns the script invocation for args.
	command func(ctx context.Context, args ...string) *exec.Cmd
}

var slixmpp = realClient{
	name:    "slixmpp",
	missing: peers.SlixmppMissing,
	command: func(ctx context.Context, args ...string) *exec.Cmd {
		return exec.CommandContext(ctx, debianPython, append([]string{filepath.Join("testdata", "slixmpp", "mucpeer.py")}, args...)...)
	},
}

var xmppjs = realClient{
	name: "xmppjs",
	missing: func() string {
		if _, err := exec.LookPath("node"); err != nil {
			return "node is not in PATH; xmpp.js needs Node 20 or later"
		}
		if _, err := os.Stat(filepath.Join("testdata", "xmppjs", "node_modules", "@xmpp", "client")); err != nil {
			return "@xmpp/client is not installed; run: (cd acceptance/testdata/xmppjs && npm ci)"
		}
		return ""
	},
	command: func(ctx context.Context, args ...string) *exec.Cmd {
		return exec.CommandContext(ctx, "node", append([]string{filepath.Join("testdata", "xmppjs", "mucpeer.js")}, args...)...)
	},
}

// require skips the test when c cannot run here, or fails it under CI,
// where .ci/run is supposed to have installed every client. It passes
// the package's gate first (peerTest), so that a test using it cannot
// run its peers in a plain go test ./....
func require(t *testing.T, clients ...realClient) {
	t.Helper()
	peerTest(t)
	for _, c := range clients {
		if why := c.missing(); why != "" {
			peers.Need(t, c.name+": "+why)
		}
	}
}

// target is the server the clients log in to.
type target struct {
	host, port, domain string
}

// combos are the pairings tested: each client with itself and with the
// other, the first one owning the room.
var combos = []struct{ owner, guest realClient }{
	{slixmpp, slixmpp},
	{xmppjs, xmppjs},
	{slixmpp, xmppjs},
	{xmppjs, slixmpp},
}

// users returns the owner's and the guest's account names for one
// pairing. Every pairing has its own, so parallel pairings never replace
// each other's sessions.
func users(owner, guest realClient) (string, string) {
	return "alice-" + owner.name + "-" + guest.name, "bob-" + owner.name + "-" + guest.name
}

// password is the password of account name on the in-process server; the
// clients use the SASL mechanism they prefer (slixmpp SCRAM-SHA-256,
// xmpp.js SCRAM-SHA-1), after STARTTLS with the self-signed certificate.
func password(name string) string { return "pw-" + name }

// accounts are the accounts the in-process server knows.
func accounts() map[string]string {
	m := map[string]string{}
	for _, c := range combos {
		o, g := users(c.owner, c.guest)
		m[o], m[g] = password(o), password(g)
	}
	return m
}

// startServer starts our server in-process on loopback, or returns the
// server named by REALCLIENTS_ADDR.
func startServer(t *testing.T) target {
	t.Helper()
	if srv, ok := external(t); ok {
		return srv
	}
	srv := servertest.New(t, server.Config{Accounts: accounts()})
	_, port, _ := net.SplitHostPort(srv.Addr().String())
	return target{"127.0.0.1", port, "localhost"}
}

// external returns the server named by REALCLIENTS_ADDR, if any.
func external(t *testing.T) (target, bool) {
	t.Helper()
	addr := os.Getenv("REALCLIENTS_ADDR")
	if addr == "" {
		return target{}, false
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("REALCLIENTS_ADDR=%q: %v", addr, err)
	}
	domain := os.Getenv("REALCLIENTS_DOMAIN")
	if domain == "" {
		domain = "localhost"
	}
	return target{host, port, domain}, true
}

// running is a started client script.
type running struct {
	name   string
	cmd    *exec.Cmd
	output servertest.LogBuffer // stdout and stderr, interleaved
	ready  chan struct{}        // closed when the script prints READY
	eof    chan struct{}        // closed when stdout is drained
}

func start(t *testing.T, ctx context.Context, c realClient, role string, args []string) *running {
	t.Helper()
	r := &running{name: c.name + " " + role, ready: make(chan struct{}), eof: make(chan struct{})}
	r.cmd = c.command(ctx, append([]string{role}, args...)...)
	r.cmd.WaitDelay = peerWaitDelay
	r.cmd.Stderr = &r.output
	stdout, err := r.cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("%s: %v", r.name, err)
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("%s: start: %v", r.name, err)
	}
	go func() {
		defer close(r.eof)
		sc := bufio.NewScanner(stdout)
		readySeen := false
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(&r.output, line)
			if line == "READY" && !readySeen {
				readySeen = true
				close(r.ready)
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	return r
}

// wait waits for the script to exit and returns its failure, if any, with
// everything it printed.
func (r *running) wait() error {
	<-r.eof
	err := r.cmd.Wait()
	if err != nil {
		return fmt.Errorf("%s: %w\n%s", r.name, err, indent(r.output.String()))
	}
	return nil
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return "    (no output)"
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

// pair runs one acceptance exchange: guest logs in and waits; owner creates
// and configures a room, invites guest; both chat. Each script asserts its
// side; the test fails if either exits non-zero.
func pair(t *testing.T, srv target, owner, guest realClient) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout+5*time.Second)
	defer cancel()

	ownerUser, guestUser := users(owner, guest)
	ownerJID, guestJID := ownerUser+"@"+srv.domain, guestUser+"@"+srv.domain
	// A fresh room each run, so a long-lived REALCLIENTS_ADDR server still
	// answers "room created" (status 201).
	room := fmt.Sprintf("%s-%s-%s@conference.%s", owner.name, guest.name, strings.ToLower(rand.Text()[:8]), srv.domain)
	common := []string{"--host", srv.host, "--port", srv.port, "--room", room,
		"--timeout", fmt.Sprint(scriptTimeout.Seconds())}
	if testing.Verbose() && os.Getenv("REALCLIENTS_TRACE") != "" {
		common = append(common, "--verbose")
	}

	g := start(t, ctx, guest, "guest", append(common,
		"--jid", guestJID, "--password", password(guestUser), "--nick", "bob",
		"--peer-jid", ownerJID, "--peer-nick", "alice"))
	select {
	case <-g.ready:
	case <-g.eof:
		err := g.wait()
		if err == nil {
			err = fmt.Errorf("%s exited without printing READY:\n%s", g.name, indent(g.output.String()))
		}
		t.Fatal(err)
	}
	o := start(t, ctx, owner, "owner", append(common,
		"--jid", ownerJID, "--password", password(ownerUser), "--nick", "alice",
		"--peer-jid", guestJID, "--peer-nick", "bob"))

	ownerErr := o.wait()
	if ownerErr != nil {
		// The guest would wait for its timeout: stop it now.
		cancel()
	}
	guestErr := g.wait()
	if err := errors.Join(ownerErr, guestErr); err != nil {
		t.Fatal(err)
	}
	t.Logf("owner %s:\n%s", owner.name, indent(o.output.String()))
	t.Logf("guest %s:\n%s", guest.name, indent(g.output.String()))
}

// TestRoomExchange pairs every client with itself and with the other: the
// owner creates, configures and invites, the guest joins, and both chat.
func TestRoomExchange(t *testing.T) {
	peerTest(t)
	t.Parallel() // a server of its own
	srv := startServer(t)
	for _, tc := range combos {
		t.Run(tc.owner.name+"-invites-"+tc.guest.name, func(t *testing.T) {
			require(t, tc.owner, tc.guest)
			t.Parallel()
			pair(t, srv, tc.owner, tc.guest)
		})
	}
}

// TestMucd is the check as a user would do it: build cmd/mucd, run it as
// the README says, and have slixmpp invite an xmpp.js client. Both of its
// account modes are covered: the default, where any password logs in, and
// fixed -user accounts.
func TestMucd(t *testing.T) {
	peerTest(t)
	t.Parallel() // mucd processes of its own
	if _, ok := external(t); ok {
		t.Skip("REALCLIENTS_ADDR is set: TestRoomExchange covers that server")
	}
	if _, err := os.Stat(filepath.Join("..", "cmd", "mucd")); err != nil {
		t.Skipf("cmd/mucd is not there yet: %v", err)
	}
	require(t, slixmpp, xmppjs)
	if testing.Short() {
		t.Skip("-short: skipping the build of cmd/mucd")
	}
	bin := mucdBinary(t)
	owner, guest := users(slixmpp, xmppjs)
	for _, tc := range []struct {
		name  string
		flags []string
		hint  string // printed when the subtest fails
	}{
		{"any-password", nil, "both clients prefer SCRAM when offered, and SCRAM cannot succeed for an account " +
			"whose password the server never learned: in any-password mode offer PLAIN only, as Prosody's insecure auth does"},
		{"user-accounts", []string{"-user", owner + ":" + password(owner), "-user", guest + ":" + password(guest)}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := runMucd(t, bin, tc.flags...)
			t.Cleanup(func() {
				if t.Failed() && tc.hint != "" {
					t.Log("hint: " + tc.hint)
				}
			})
			pair(t, srv, slixmpp, xmppjs)
		})
	}
}

// mucdReady is the log line mucd prints once it listens.
var mucdReady = regexp.MustCompile(`msg="mucd: ready" addr=(\S+)`)

// runMucd starts bin on a free loopback port and stops it, as Ctrl-C
// would, when the test ends.
func runMucd(t *testing.T, bin string, flags ...string) target {
	t.Helper()
	return startMucd(t, bin, flags...).xmpp
}

// startMucd is runMucd, also returning the web transports mucd's log
// names (with -http) before its ready line.
func startMucd(t *testing.T, bin string, flags ...string) webTarget {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, append([]string{"-addr", "127.0.0.1:0", "-domain", "localhost", "-data-dir", t.TempDir()}, flags...)...) // its certificate not in the user's cache
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	var log servertest.LogBuffer
	cmd.Stdout = &log
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatalf("mucd: %v", err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start mucd: %v", err)
	}
	ready := make(chan webTarget, 1)
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		var w webTarget
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			fmt.Fprintln(&log, sc.Text())
			if m := mucdWeb.FindStringSubmatch(sc.Text()); m != nil {
				w.websocket, w.bosh = m[1], m[2]
			}
			if m := mucdReady.FindStringSubmatch(sc.Text()); m != nil {
				if host, port, err := net.SplitHostPort(m[1]); err == nil {
					w.xmpp = target{host, port, "localhost"}
				}
				select {
				case ready <- w:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	t.Cleanup(func() {
		cancel()
		<-drained
		_ = cmd.Wait()
		if st := cmd.ProcessState; !st.Success() {
			t.Logf("note: mucd did not exit 0 on interrupt: %v", st)
		}
		if t.Failed() {
			t.Logf("mucd %s output:\n%s", strings.Join(flags, " "), indent(log.String()))
		}
	})
	select {
	case w := <-ready:
		if w.xmpp.port == "" {
			t.Fatalf("mucd's ready line has a bad address:\n%s", indent(log.String()))
		}
		return w
	case <-drained:
		t.Fatalf("mucd exited without the %q line:\n%s", mucdReady, indent(log.String()))
	case <-time.After(scriptTimeout):
		t.Fatalf("mucd printed no %q line in %v:\n%s", mucdReady, scriptTimeout, indent(log.String()))
	}
	panic("unreachable")
}
