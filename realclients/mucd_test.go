package realclients

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// buildDir holds the mucd binary that the package's tests share; TestMain
// removes it at the end.
var buildDir string

func TestMain(m *testing.M) {
	code := m.Run()
	stopBrowser()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// buildMucd builds cmd/mucd once for the whole package: TestMucd and
// TestWebClients run the same binary, and a link on a loaded machine costs
// seconds.
var buildMucd = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "realclients-mucd-")
	if err != nil {
		return "", fmt.Errorf("build dir for mucd: %w", err)
	}
	buildDir = dir
	bin := filepath.Join(dir, "mucd")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/mucd").CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/mucd: %w\n%s", err, out)
	}
	return bin, nil
})

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
