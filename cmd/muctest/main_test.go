package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/script"
)

func write(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const okScript = "# ok\n[Client] Romeo\n\tjid: romeo@localhost\n-----\nRomeo connects\n"

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	bad := write(t, dir, "bad.scs", "# bad\n[Client] Romeo\n\tjid: romeo@localhost\n-----\nRomeo dances\n")
	empty := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no arguments", nil, "usage: muctest"},
		{"unknown flag", []string{"-bogus", dir}, "flag provided but not defined"},
		{"missing path", []string{filepath.Join(dir, "nope")}, "no such file"},
		{"folder without scripts", []string{empty}, "no .scs files"},
		{"bad -run", []string{"-run", "(", dir}, "-run"},
		{"parse error", []string{bad}, "bad.scs:5:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := run(tt.args, &out, &errb); code != 2 {
				t.Errorf("exit %d, want 2 (stdout %q, stderr %q)", code, out.String(), errb.String())
			}
			if !strings.Contains(errb.String(), tt.want) {
				t.Errorf("stderr %q lacks %q", errb.String(), tt.want)
			}
		})
	}
}

func TestCollect(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "b.scs", okScript)
	write(t, dir, "sub/a.scs", okScript)
	write(t, dir, "notes.txt", "x")
	one := write(t, t.TempDir(), "one.scs", okScript)
	got, err := collect([]string{dir, one})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "b.scs"), filepath.Join(dir, "sub/a.scs"), one}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("collect = %q, want %q", got, want)
	}
}

func results(t *testing.T) []*script.Result {
	t.Helper()
	s, err := script.Parse("spec/a.scs", strings.NewReader(okScript))
	if err != nil {
		t.Fatal(err)
	}
	st := s.Steps[0]
	return []*script.Result{
		{Script: s, Duration: 20 * time.Millisecond},
		{Script: s, Duration: 30 * time.Millisecond, Failure: &script.Failure{Path: "spec/a.scs", Step: st, Msg: "Romeo could not connect",
			Expected: "<presence/>", Received: "<message/>   <-- here", Client: "Romeo", Recent: []string{"[pending] <message/>"}}},
	}
}

func TestReportText(t *testing.T) {
	rs := results(t)
	var b bytes.Buffer
	report(&b, rs[0], config{})
	if b.Len() != 0 {
		t.Errorf("a pass prints %q without -v", b.String())
	}
	report(&b, rs[1], config{})
	out := b.String()
	for _, w := range []string{"--- FAIL: spec/a.scs (0.03s)", "spec/a.scs:5: Romeo connects", "Romeo could not connect",
		"expected:", "<presence/>", "received:", "<message/>   <-- here", "last stanzas Romeo saw", "[pending] <message/>"} {
		if !strings.Contains(out, w) {
			t.Errorf("report lacks %q:\n%s", w, out)
		}
	}
}

func TestReportJSON(t *testing.T) {
	var b bytes.Buffer
	for _, r := range results(t) {
		report(&b, r, config{json: true})
	}
	var actions []string
	sc := bufio.NewScanner(&b)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		if e.Package != "muctest" || e.Test != "spec/a.scs" || e.Time.IsZero() {
			t.Errorf("event %+v", e)
		}
		actions = append(actions, e.Action)
	}
	got := strings.Join(actions, " ")
	if !strings.HasPrefix(got, "run output pass run output") || !strings.HasSuffix(got, "output fail") {
		t.Errorf("actions %q", got)
	}
}

func TestJUnit(t *testing.T) {
	p := filepath.Join(t.TempDir(), "junit.xml")
	if err := writeJUnit(p, results(t)); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var s junitSuite
	if err := xml.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if s.Tests != 2 || s.Failures != 1 || len(s.Cases) != 2 || s.Cases[1].Failure == nil ||
		!strings.Contains(s.Cases[1].Failure.Text, "<-- here") || s.Cases[0].Name != "spec/a.scs: ok" {
		t.Errorf("junit = %+v", s)
	}
}

// TestEndToEnd runs the command against the in-process server: the seed
// spec script in strict mode, and a script that must fail.
func TestEndToEnd(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"-strict", "../../spec/muc_mediated_invite.scs"}, &out, &errb); code != 0 {
		t.Fatalf("spec: exit %d\n%s%s", code, out.String(), errb.String())
	}
	if !strings.HasSuffix(out.String(), "1 passed, 0 failed\n") {
		t.Errorf("output %q", out.String())
	}

	dir := t.TempDir()
	write(t, dir, "pass.scs", okScript+"Romeo sends:\n\t<presence/>\nRomeo receives:\n\t<presence/>\n")
	write(t, dir, "fail.scs", okScript+"Romeo receives:\n\t<message><body>never</body></message>\n")
	junit := filepath.Join(dir, "junit.xml")
	out.Reset()
	code := run([]string{"-json", "-junit", junit, "-parallel", "2", "-v", dir}, &out, &errb)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, out.String(), errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if last := lines[len(lines)-1]; last != "1 passed, 1 failed" {
		t.Errorf("last line %q", last)
	}
	var fails, passes int
	for _, l := range lines[:len(lines)-1] {
		var e event
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("not JSON: %q", l)
		}
		if e.Action == "fail" && e.Test != "" {
			fails++
		}
		if e.Action == "pass" && e.Test != "" {
			passes++
		}
	}
	if fails != 1 || passes != 1 {
		t.Errorf("%d fail and %d pass events", fails, passes)
	}
	if b, err := os.ReadFile(junit); err != nil || !strings.Contains(string(b), "fail.scs:6: Romeo receives:") {
		t.Errorf("junit: %v\n%s", err, b)
	}
}
