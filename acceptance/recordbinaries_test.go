package acceptance

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/internal/peers"
	"github.com/muctest/muctest/servertest"
)

// process is a started command whose stderr is watched for one line.
type process struct {
	cmd  *exec.Cmd
	out  servertest.LogBuffer
	done chan struct{} // closed when stderr is drained
}

// startWatched starts bin and returns the first submatch of want on its
// stderr.
func startWatched(t *testing.T, ctx context.Context, want *regexp.Regexp, bin string, args ...string) (*process, string) {
	t.Helper()
	p := &process{cmd: exec.CommandContext(ctx, bin, args...), done: make(chan struct{})}
	p.cmd.Cancel = func() error { return p.cmd.Process.Signal(os.Interrupt) }
	p.cmd.WaitDelay = 5 * time.Second
	p.cmd.Stdout = &p.out
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("%s: %v", bin, err)
	}
	found := make(chan string, 1)
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			fmt.Fprintln(&p.out, sc.Text())
			if m := want.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	select {
	case m := <-found:
		return p, m
	case <-p.done:
		_ = p.cmd.Wait()
		t.Fatalf("%s exited without printing %q:\n%s", filepath.Base(bin), want, indent(p.out.String()))
	}
	panic("unreachable")
}

// TestRecordEndToEndWithBinaries is issue 15's check done as a user would:
// mucd runs, `muctest record` sits in front of it, two slixmpp clients
// create a room, join and chat through it, `muctest record` writes the
// script when they have left and exits, and `muctest FILE` passes it
// in-process.
//
// Building cmd/muctest takes longer than the in-process recordings
// (TestRecordedSessionInProcess) that check the same recorder, so it runs
// under CI=true only, or with MUCTEST_ACCEPTANCE=1 and MUCTEST_E2E=1.
func TestRecordEndToEndWithBinaries(t *testing.T) {
	peerTest(t)
	t.Parallel() // processes of its own
	if os.Getenv("CI") != "true" && os.Getenv("MUCTEST_E2E") != "1" {
		t.Skip("builds cmd/mucd and cmd/muctest: runs under CI=true, or with " + peers.RunEnv + "=1 MUCTEST_E2E=1")
	}
	require(t, slixmpp)
	mucd := mucdBinary(t)
	dir := t.TempDir()
	muctest := filepath.Join(dir, "muctest")
	if out, err := exec.Command("go", "build", "-o", muctest, "../cmd/muctest").CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/muctest: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*scriptTimeout)
	defer cancel()

	srv, srvAddr := startWatched(t, ctx, mucdReady, mucd, "-addr", "127.0.0.1:0", "-domain", "localhost", "-data-dir", t.TempDir())
	defer func() {
		_ = srv.cmd.Process.Signal(os.Interrupt)
		<-srv.done
		_ = srv.cmd.Wait()
	}()
	file := filepath.Join(dir, "session.scs")
	rec, recAddr := startWatched(t, ctx, regexp.MustCompile(`listening on (\S+), relaying`), muctest,
		"record", "-listen", "127.0.0.1:0", "-upstream", srvAddr, "-o", file, "-title", "slixmpp through mucd")

	recordedSession(t, ctx, recAddr, slixmpp)
	// The last client has left: muctest record writes the file and exits.
	<-rec.done
	if err := rec.cmd.Wait(); err != nil {
		t.Fatalf("muctest record: %v\n%s", err, indent(rec.out.String()))
	}
	script, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(ctx, muctest, file).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "1 passed, 0 failed") {
		t.Fatalf("muctest %s: %v\n%s\n\nscript:\n%s", file, err, out, script)
	}
}
