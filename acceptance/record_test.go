package acceptance

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/muctest/muctest/internal/peers"
	"github.com/muctest/muctest/record"
	"github.com/muctest/muctest/script"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
)

// The acceptance tests of issue 15 (package record): a real client's
// session, recorded through the proxy, replays as a passing script. The
// guest is slixmpp and the room's owner slixmpp or xmpp.js, playing
// TestRoomExchange's MUC exchange through a recorder: one client creates
// and configures a room and invites the other, who joins; both chat.
//
// They live here rather than in package record because all their time is
// spent waiting for the clients (and for Prosody): here they wait at the
// same time as the package's other exchanges, in the one test binary that
// runs real clients, instead of keeping a second go test process busy.

// startRecording starts a record.Recorder on loopback as `muctest record`
// does, and stops it when the test ends; its log is shown if the test
// fails.
func startRecording(t *testing.T, cfg record.Config) (*record.Recorder, string) {
	t.Helper()
	var logs servertest.LogBuffer
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	rec, err := record.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- rec.Serve(ln) }()
	t.Cleanup(func() {
		rec.Close()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
		if t.Failed() {
			t.Logf("recorder log:\n%s", indent(logs.String()))
		}
	})
	return rec, ln.Addr().String()
}

// recordSession runs the two-client MUC exchange through a recorder in
// front of upstream, the room owned by owner and the guest played by
// slixmpp, and returns the script it wrote.
func recordSession(t *testing.T, upstream string, owner realClient) []byte {
	t.Helper()
	rec, addr := startRecording(t, record.Config{Upstream: upstream, Captures: true,
		Title: owner.name + " and slixmpp: two clients create a room, join and chat"})
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout+5*time.Second)
	defer cancel()
	recordedSession(t, ctx, addr, owner)
	<-rec.Done()
	return rec.Script()
}

// recordedSession plays the session a recording is made of through the
// proxy at addr: romeo (slixmpp) waits to be invited, juliet (owner)
// creates the room, invites him, and they chat. It fails t if either
// client fails; an owner that fails ends the guest at once.
func recordedSession(t *testing.T, ctx context.Context, addr string, owner realClient) {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	host, port, _ := net.SplitHostPort(addr)
	common := []string{"--host", host, "--port", port, "--room", "garden@conference.localhost",
		"--timeout", fmt.Sprint(scriptTimeout.Seconds())}
	guest := start(t, ctx, slixmpp, "guest", append(common, "--jid", "romeo@localhost", "--password", "montague",
		"--nick", "romeo", "--peer-jid", "juliet@localhost", "--peer-nick", "juliet"))
	select {
	case <-guest.ready:
	case <-guest.eof:
		t.Fatalf("the guest exited before READY: %v", guest.wait())
	}
	own := start(t, ctx, owner, "owner", append(common, "--jid", "juliet@localhost", "--password", "capulet",
		"--nick", "juliet", "--peer-jid", "romeo@localhost", "--peer-nick", "romeo"))
	oerr := own.wait()
	if oerr != nil {
		cancel() // the guest would wait for the owner until its timeout
	}
	if gerr := guest.wait(); oerr != nil || gerr != nil {
		t.Fatalf("the session itself failed:\n%v\n%v", oerr, gerr)
	}
}

// parseRecorded parses a recorded script and checks what any recording
// of this session must hold. The owner's resource is its mucpeer
// script's, which is the client's name.
func parseRecorded(t *testing.T, out []byte, owner realClient) *script.Script {
	t.Helper()
	s, err := script.Parse("session.scs", bytes.NewReader(out))
	if err != nil {
		t.Fatalf("the recorded script does not parse: %v\n%s", err, out)
	}
	for _, want := range []string{
		"[Client] Romeo\n\tjid: romeo@localhost/slixmpp\n\tpassword: montague\n",
		"[Client] Juliet\n\tjid: juliet@localhost/" + owner.name + "\n\tpassword: capulet\n",
		// Romeo is declared with his resource: his bare JID is
		// written out (${Romeo's JID} is the declared, full one).
		`<invite to="romeo@localhost">`,
		"<body>hello from juliet</body>",
		"<body>hello from romeo</body>",
		"Romeo disconnects",
		// The room's stanza-id of a message both occupants get.
		"{scansion:capture:",
	} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("the recorded script lacks %q:\n%s", want, out)
		}
	}
	for _, noise := range []string{"jabber:iq:roster", "xmpp-bind", "xmpp-sasl"} {
		if bytes.Contains(out, []byte(noise)) {
			t.Errorf("the recorded script has %s noise:\n%s", noise, out)
		}
	}
	return s
}

// recordOwners are the libraries that own the room in the recorded
// sessions.
var recordOwners = []realClient{slixmpp, xmppjs}

// TestRecordedSessionInProcess records the session in front of our server
// (as cmd/mucd runs it by default: any password, MUC at
// conference.localhost) and replays the script on a fresh in-process
// server, as `muctest FILE` does.
func TestRecordedSessionInProcess(t *testing.T) {
	peerTest(t)
	t.Parallel() // servers of its own
	for _, owner := range recordOwners {
		t.Run(owner.name, func(t *testing.T) {
			require(t, slixmpp, owner)
			t.Parallel() // a recorder and servers of its own
			srv := servertest.New(t, server.Config{})
			out := recordSession(t, srv.Addr().String(), owner)
			s := parseRecorded(t, out, owner)
			// Not strict: when both clients leave at once, which of them
			// still saw the other's unavailable presence is a race of the
			// recorded session, not something a replay can pin.
			res := script.RunInProcess(context.Background(), s, script.DefaultServerConfig(), script.Options{})
			if !res.Passed() {
				t.Fatalf("the recorded script fails on a fresh server:\n%v\n\nscript:\n%s", res.Failure, out)
			}
		})
	}
}

// prosodyStart is the reference helper that starts a Prosody 0.12
// configured like Prosody's own scansion run. CI has ../shared next to the
// repository; MUCTEST_SHARED names another place for it.
func prosodyStart(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", "shared")
	if d := os.Getenv("MUCTEST_SHARED"); d != "" {
		dir = d
	}
	p := filepath.Join(dir, "reference", "prosody", "start.sh")
	if _, err := os.Stat(p); err != nil {
		peers.Need(t, fmt.Sprintf("the Prosody reference helper is missing (%v); it lives in ../shared next to the repository, or set MUCTEST_SHARED", err))
	}
	if _, err := exec.LookPath("prosody"); err != nil {
		peers.Need(t, "prosody is not installed; install it with: apt-get install -y prosody")
	}
	return p
}

// startProsodies starts n fresh Prosodies on free loopback ports, all at
// once (each start is mostly Prosody loading its modules, and start.sh
// polling for its port), and stops them when the test ends. It returns
// their addresses.
func startProsodies(t *testing.T, start string, n int) []string {
	t.Helper()
	type started struct {
		addr, dir string
		pid       int
		err       error
	}
	res := make([]started, n)
	var wg sync.WaitGroup
	for i := range res {
		wg.Go(func() { res[i].addr, res[i].dir, res[i].pid, res[i].err = runProsody(start) })
	}
	wg.Wait()
	for _, r := range res {
		if r.dir == "" {
			continue
		}
		t.Cleanup(func() {
			if r.pid > 0 {
				syscall.Kill(r.pid, syscall.SIGTERM)
			}
			if t.Failed() {
				if log, err := os.ReadFile(filepath.Join(r.dir, "prosody.log")); err == nil && len(log) < 1<<16 {
					t.Logf("prosody log:\n%s", log)
				}
			}
			os.RemoveAll(r.dir)
		})
	}
	addrs := make([]string, n)
	for i, r := range res {
		if r.err != nil {
			t.Fatal(r.err)
		}
		addrs[i] = r.addr
	}
	return addrs
}

// runProsody starts one Prosody with start.sh on a free loopback port, in
// a directory of its own, which it returns (also on a failure after it was
// made) with the PID.
func runProsody(start string) (addr, dir string, pid int, err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", "", 0, err
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	dir, err = os.MkdirTemp("", "record-prosody-")
	if err != nil {
		return "", "", 0, err
	}
	out, err := exec.Command("bash", start, port, dir).Output()
	if err != nil {
		return "", dir, 0, fmt.Errorf("%s %s: %w", start, port, err)
	}
	pid, err = strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		return "", dir, 0, fmt.Errorf("%s printed %q, not a PID", start, out)
	}
	return "127.0.0.1:" + port, dir, pid, nil
}

// TestRecordedSessionProsody records the session in front of a Prosody
// 0.12 and replays the script against another, fresh, Prosody.
func TestRecordedSessionProsody(t *testing.T) {
	peerTest(t)
	t.Parallel() // servers of its own
	for _, owner := range recordOwners {
		t.Run(owner.name, func(t *testing.T) {
			require(t, slixmpp, owner)
			t.Parallel() // a recorder and servers of its own
			start := prosodyStart(t)
			ps := startProsodies(t, start, 2)
			recorded, fresh := ps[0], ps[1]
			out := recordSession(t, recorded, owner)
			s := parseRecorded(t, out, owner)
			res := script.Run(context.Background(), s, script.Options{Addr: fresh, Domain: "localhost"})
			if !res.Passed() {
				t.Fatalf("the script recorded on Prosody fails on a fresh Prosody:\n%v\n\nscript:\n%s", res.Failure, out)
			}
		})
	}
}
