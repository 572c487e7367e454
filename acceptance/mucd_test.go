package acceptance

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

func TestMain(m *testing.M) {
	flag.Parse()
	raiseParallel()
	code := m.Run()
	stopBrowser()
	os.Exit(code)
}

// peerParallel is how many of the package's tests run at once unless
// -parallel says otherwise: enough to keep two cores busy while most of
// the package's 21 exchanges wait for their peers, few enough that each
// still gets its share of a loaded machine. It is the 8 the package had
// and the 4 recorded sessions that came from package record (which ran
// them 4 at a time, next to this package), so that they still do not wait
// for a turn.
const peerParallel = 12

// raiseParallel lifts the default -parallel (GOMAXPROCS) to peerParallel
// unless -parallel was given. The exchanges' work is done by other
// processes (python3, node, Chromium, mucd) that the limit does not
// count: a test here mostly waits for them, and with two cores two at a
// time left both cores idle for most of the package's run while each
// peer started, logged in and ended.
func raiseParallel() {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if set || runtime.GOMAXPROCS(0) >= peerParallel {
		return
	}
	if err := flag.Set("test.parallel", fmt.Sprint(peerParallel)); err != nil {
		panic(err) // the flag is the testing package's own
	}
}

// buildMucd builds cmd/mucd once for the whole package: TestMucd and
// TestWebClients run the same binary, and a link on a loaded machine costs
// seconds. The binary is kept between runs (mucdPath), so that go build,
// finding it up to date, skips the link when cmd/mucd has not changed.
var buildMucd = sync.OnceValues(func() (string, error) {
	bin, err := mucdPath()
	if err != nil {
		return "", err
	}
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/mucd").CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/mucd: %w\n%s", err, out)
	}
	return bin, nil
})

// mucdPath is where this checkout's mucd binary is kept: in the user's
// cache directory, under a name of the checkout's own, so that two
// checkouts (or worktrees) do not rebuild each other's.
func mucdPath() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("a place for the mucd binary: %w", err)
	}
	repo, err := filepath.Abs("..")
	if err != nil {
		return "", fmt.Errorf("a place for the mucd binary: %w", err)
	}
	sum := sha256.Sum256([]byte(repo))
	dir := filepath.Join(cache, "muctest", "acceptance-"+hex.EncodeToString(sum[:8]))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("a place for the mucd binary: %w", err)
	}
	return filepath.Join(dir, "mucd"), nil
}

// mucdBinary returns the package's mucd binary, failing t when it does not
// build.
func mucdBinary(t *testing.T) string {
	t.Helper()
	bin, err := buildMucd()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}
