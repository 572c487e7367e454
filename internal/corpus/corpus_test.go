package corpus

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that records a Skipf or Fatalf and stops the
// call there (as the real ones do) with a panic the test recovers.
type recorder struct {
	testing.TB
	verdict string // "skip" or "fail"; "" when the call went through
	msg     string
}

type stop struct{}

func (r *recorder) Helper() {}
func (r *recorder) Skipf(format string, args ...any) {
	r.verdict, r.msg = "skip", format
	panic(stop{})
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.verdict, r.msg = "fail", format
	panic(stop{})
}

// call runs f with r, stopping where r stopped.
func (r *recorder) call(f func(testing.TB)) {
	defer func() {
		if v := recover(); v != nil {
			if _, ok := v.(stop); !ok {
				panic(v)
			}
		}
	}()
	f(r)
}

func TestScripts(t *testing.T) {
	shared := t.TempDir()
	full := filepath.Join(shared, "corpus", "full")
	if err := os.MkdirAll(full, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"b.scs", "a.scs", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(full, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(shared, "corpus", "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		ci      string
		sub     string
		verdict string   // "" (files returned), "skip" or "fail"
		files   []string // base names, when returned
	}{
		{name: "present", sub: "corpus/full", files: []string{"a.scs", "b.scs"}},
		{name: "present under CI", ci: "true", sub: "corpus/full", files: []string{"a.scs", "b.scs"}},
		{name: "missing, CI unset", sub: "corpus/nothere", verdict: "skip"},
		{name: "missing, CI not true", ci: "false", sub: "corpus/nothere", verdict: "skip"},
		{name: "missing under CI", ci: "true", sub: "corpus/nothere", verdict: "fail"},
		{name: "empty fails locally", sub: "corpus/empty", verdict: "fail"},
		{name: "empty fails under CI", ci: "true", sub: "corpus/empty", verdict: "fail"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(SharedEnv, shared)
			t.Setenv("CI", tt.ci)
			r := &recorder{TB: t}
			var files []string
			r.call(func(tb testing.TB) { files = Scripts(tb, tt.sub, "*.scs") })
			if r.verdict != tt.verdict {
				t.Fatalf("verdict %q (%s), want %q", r.verdict, r.msg, tt.verdict)
			}
			var names []string
			for _, f := range files {
				names = append(names, filepath.Base(f))
			}
			if strings.Join(names, " ") != strings.Join(tt.files, " ") {
				t.Errorf("files %v, want %v", names, tt.files)
			}
		})
	}
}

// TestDefaultLocation checks that without MUCTEST_SHARED the shared
// directory is ../shared from the repository root: the path Dir reports
// as missing (or finds) is that one.
func TestDefaultLocation(t *testing.T) {
	t.Setenv(SharedEnv, "")
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(wd, "..", "..", "..", "shared", "corpus", "prosody") // internal/corpus -> root/../shared
	got, err := Find("corpus/prosody")
	if err != nil {
		if !strings.Contains(err.Error(), filepath.Clean(want)) {
			t.Errorf("error %q does not name %s", err, filepath.Clean(want))
		}
		return
	}
	if got != filepath.Clean(want) {
		t.Errorf("found %s, want %s", got, filepath.Clean(want))
	}
}
