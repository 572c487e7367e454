package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/muctest/muctest/report"
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

// mixedDir is a folder with a passing, a failing, an unparsable and an
// empty script, and a tagged one in a subfolder.
func mixedDir(t *testing.T) string {
	dir := t.TempDir()
	write(t, dir, "pass.scs", okScript+"Romeo sends:\n\t<presence/>\nRomeo receives:\n\t<presence/>\n")
	write(t, dir, "fail.scs", okScript+"Romeo receives:\n\t<message><body>never</body></message>\n")
	write(t, dir, "bad.scs", "# bad\n[Client] Romeo\n\tjid: romeo@localhost\n-----\nRomeo dances\n")
	write(t, dir, "nosteps.scs", "# nothing\n[Client] Romeo\n\tjid: romeo@localhost\n-----\n")
	write(t, dir, "sub/tagged.scs", "# tagged\n# what it is for\n\n## tags: slow, muc\n"+okScript[len("# ok\n"):])
	return dir
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.scs", okScript)
	write(t, dir, "b.scs", okScript)
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
		{"-d folder without scripts", []string{"-d", empty}, "no .scs files"},
		{"bad -run", []string{"-run", "(", dir}, "-run"},
		{"-run matching nothing", []string{"-run", "zzz", dir}, `nothing to run: -run "zzz" matches none of the 2 script(s)`},
		{"-tag matching nothing", []string{"-tag", "slow", dir}, "no script has a tag of -tag slow"},
		{"-shard not K/N", []string{"-shard", "2", dir}, "want K/N"},
		{"-shard K > N", []string{"-shard", "3/2", dir}, "1 <= K <= N"},
		{"-shard K = 0", []string{"-shard", "0/2", dir}, "1 <= K <= N"},
		{"empty shard", []string{"-shard", "3/3", dir}, "shard 3/3 is empty"},
		{"-insecure alone", []string{"-insecure", dir}, "-insecure needs -tls"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := run(tt.args, &out, &errb); code != exitUsage {
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
	// A file given twice (itself and inside its folder) runs once.
	got, err := collect([]string{dir, one, filepath.Join(dir, "b.scs")})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "b.scs"), filepath.Join(dir, "sub/a.scs"), one}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("collect = %q, want %q", got, want)
	}
}

// TestShard: the shares of a suite are disjoint, cover it, differ in size
// by at most one, and do not depend on the order of the paths.
func TestShard(t *testing.T) {
	var paths []string
	for _, n := range []string{"e", "a", "d", "sub/c", "b", "sub/a", "f"} {
		paths = append(paths, "spec/"+n+".scs")
	}
	jobsOf := func(ps []string) []*job {
		var js []*job
		for _, p := range ps {
			js = append(js, &job{path: p})
		}
		return js
	}
	for _, n := range []int{1, 2, 3, 7} {
		seen := map[string]int{}
		sizes := map[int]bool{}
		for k := 1; k <= n; k++ {
			got := shardJobs(jobsOf(paths), shard{k: k, n: n})
			rev := append([]string(nil), paths...)
			sort.Sort(sort.Reverse(sort.StringSlice(rev)))
			gotRev := shardJobs(jobsOf(rev), shard{k: k, n: n})
			var a, b []string
			for _, j := range got {
				a = append(a, j.path)
				seen[j.path]++
			}
			for _, j := range gotRev {
				b = append(b, j.path)
			}
			sort.Strings(a)
			sort.Strings(b)
			if strings.Join(a, ",") != strings.Join(b, ",") {
				t.Errorf("shard %d/%d depends on the order of the paths: %q vs %q", k, n, a, b)
			}
			sizes[len(got)] = true
		}
		if len(seen) != len(paths) {
			t.Errorf("N=%d: shards cover %d of %d scripts", n, len(seen), len(paths))
		}
		for p, c := range seen {
			if c != 1 {
				t.Errorf("N=%d: %s in %d shards", n, p, c)
			}
		}
		if len(sizes) > 2 {
			t.Errorf("N=%d: shard sizes %v", n, sizes)
		}
	}
	// The split is by sorted path: 1/2 takes the 1st, 3rd, ... script
	// (a, d, f, sub/c), listed in input order.
	got := shardJobs(jobsOf(paths), shard{k: 1, n: 2})
	var names []string
	for _, j := range got {
		names = append(names, j.path)
	}
	if want := "spec/a.scs,spec/d.scs,spec/sub/c.scs,spec/f.scs"; strings.Join(names, ",") != want {
		t.Errorf("shard 1/2 = %s, want %s", strings.Join(names, ","), want)
	}
}

// TestParseErrorFailsAlone: a script that does not parse and one without
// steps fail, the others run, the summary is printed and the JUnit report
// written, and the exit status is 1.
func TestParseErrorFailsAlone(t *testing.T) {
	dir := mixedDir(t)
	junit := filepath.Join(t.TempDir(), "junit.xml")
	var out, errb bytes.Buffer
	code := run([]string{"-junit", junit, dir}, &out, &errb)
	if code != exitFail {
		t.Fatalf("exit %d, want 1\n%s%s", code, out.String(), errb.String())
	}
	text := out.String()
	if !strings.HasSuffix(text, "2 passed, 3 failed\n") {
		t.Errorf("summary: %q", text)
	}
	for _, w := range []string{"--- FAIL: " + filepath.ToSlash(dir) + "/bad.scs", "bad.scs:5:", "nosteps.scs: the script has no steps",
		"fail.scs:6: Romeo receives:", "did not receive the expected stanza"} {
		if !strings.Contains(text, w) {
			t.Errorf("output lacks %q:\n%s", w, text)
		}
	}
	b, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name      string `xml:"name,attr"`
				Classname string `xml:"classname,attr"`
				SystemOut string `xml:"system-out"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Tests != 5 || doc.Failures != 1 || doc.Errors != 2 || len(doc.Suites) != 2 {
		t.Errorf("junit: tests %d failures %d errors %d suites %d\n%s", doc.Tests, doc.Failures, doc.Errors, len(doc.Suites), b)
	}
	if c := doc.Suites[0].Cases[0]; c.Classname != filepath.ToSlash(dir) || c.Name != "bad.scs" {
		t.Errorf("first case %+v", c)
	}
	// The -v trace is in system-out even without -v.
	if !strings.Contains(string(b), "Romeo bound romeo@localhost/") {
		t.Errorf("junit has no trace:\n%s", b)
	}
	validateJUnit(t, junit)
}

// TestJSON: with -json, stdout is a pure go test -json stream, one
// package per folder, and the summary is on stderr.
func TestJSON(t *testing.T) {
	dir := mixedDir(t)
	var out, errb bytes.Buffer
	code := run([]string{"-json", "-parallel", "3", "-skip-tag", "slow", dir}, &out, &errb)
	if code != exitFail {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errb.String())
	}
	if errb.String() != "1 passed, 3 failed, 1 skipped\n" {
		t.Errorf("stderr %q", errb.String())
	}
	type state struct{ run, ended bool }
	tests := map[string]*state{}
	actions := map[string]string{}
	pkgEnd := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out.Bytes()))
	for sc.Scan() {
		var e report.Event
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			t.Fatalf("stdout line is not a go test -json event: %q", sc.Text())
		}
		if e.Test == "" {
			if e.Action == "pass" || e.Action == "fail" {
				if e.Elapsed == nil {
					t.Errorf("package %s %s without Elapsed", e.Package, e.Action)
				}
				pkgEnd[e.Package] = e.Action
			}
			continue
		}
		key := e.Package + " " + e.Test
		st := tests[key]
		switch e.Action {
		case "run":
			if st != nil {
				t.Errorf("%s: two run events", key)
			}
			tests[key] = &state{run: true}
		case "output":
			if st == nil || st.ended {
				t.Errorf("%s: output outside run..end: %q", key, e.Output)
			}
		case "pass", "fail", "skip":
			if st == nil || st.ended || e.Elapsed == nil {
				t.Errorf("%s: %s event out of place (or without Elapsed)", key, e.Action)
			} else {
				st.ended = true
			}
			actions[key] = e.Action
		}
	}
	d := filepath.ToSlash(dir)
	want := map[string]string{
		d + " pass.scs": "pass", d + " fail.scs": "fail", d + " bad.scs": "fail", d + " nosteps.scs": "fail",
		d + "/sub tagged.scs": "skip",
	}
	for k, v := range want {
		if actions[k] != v {
			t.Errorf("%s: %q, want %q (all: %v)", k, actions[k], v, actions)
		}
	}
	if pkgEnd[d] != "fail" || pkgEnd[d+"/sub"] != "pass" {
		t.Errorf("package ends %v", pkgEnd)
	}
	// -json streams the trace, as go test -json implies -v.
	if !regexp.MustCompile(`"Output":"    \([0-9.]+ms\)\\n"`).MatchString(out.String()) {
		t.Errorf("no step trace in the stream")
	}
}

// TestGotestsum feeds the -json stream to gotestsum, the way CI reads it,
// when gotestsum is installed (CI installs it).
func TestGotestsum(t *testing.T) {
	gts, err := exec.LookPath("gotestsum")
	if err != nil {
		if gp, gerr := exec.Command("go", "env", "GOPATH").Output(); gerr == nil {
			gts, err = exec.LookPath(filepath.Join(strings.TrimSpace(string(gp)), "bin", "gotestsum"))
		}
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("gotestsum is missing under CI=true")
		}
		t.Skip("gotestsum not installed")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write(t, dir, "pass.scs", okScript)
	write(t, dir, "sub/pass2.scs", okScript)
	cmd := exec.Command(gts, "--format", "standard-verbose", "--raw-command", "--", self, "-test.run=^TestHelperProcess$", "--", "-json", dir)
	cmd.Env = append(os.Environ(), "MUCTEST_HELPER=1")
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("gotestsum: %v\n%s", err, b)
	}
	if !strings.Contains(string(b), "DONE 2 tests") || !strings.Contains(string(b), "--- PASS: pass2.scs") {
		t.Errorf("gotestsum output:\n%s", b)
	}
	// A failing script makes gotestsum fail too.
	write(t, dir, "fail.scs", okScript+"Romeo receives:\n\t<message/>\n")
	cmd = exec.Command(gts, "--raw-command", "--", self, "-test.run=^TestHelperProcess$", "--", "-json", dir)
	cmd.Env = append(os.Environ(), "MUCTEST_HELPER=1")
	if b, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(b), "1 failure") {
		t.Errorf("gotestsum with a failing script: %v\n%s", err, b)
	}
}

// TestHelperProcess is muctest itself when the test binary is run with
// MUCTEST_HELPER=1 (for TestGotestsum).
func TestHelperProcess(t *testing.T) {
	if os.Getenv("MUCTEST_HELPER") != "1" {
		return
	}
	args := os.Args
	for i, a := range args {
		if a == "--" {
			args = args[i+1:]
			break
		}
	}
	os.Exit(run(args, os.Stdout, os.Stderr))
}

// TestWriteErrors: a report that cannot be written exits 2, after the
// scripts ran.
func TestWriteErrors(t *testing.T) {
	p := write(t, t.TempDir(), "ok.scs", okScript)
	var out, errb bytes.Buffer
	if code := run([]string{"-junit", filepath.Join(t.TempDir(), "missing", "j.xml"), p}, &out, &errb); code != exitUsage {
		t.Errorf("-junit into a missing folder: exit %d", code)
	}
	if !strings.Contains(errb.String(), "-junit:") || !strings.Contains(out.String(), "1 passed, 0 failed") {
		t.Errorf("stdout %q stderr %q", out.String(), errb.String())
	}
	for _, args := range [][]string{{p}, {"-json", p}, {"-list", p}} {
		errb.Reset()
		if code := run(args, brokenWriter{}, &errb); code != exitUsage {
			t.Errorf("%v to a broken stdout: exit %d (stderr %q)", args, code, errb.String())
		}
	}
}

type brokenWriter struct{}

func (brokenWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestList(t *testing.T) {
	dir := mixedDir(t)
	var out, errb bytes.Buffer
	code := run([]string{"-list", "-skip-tag", "muc", dir}, &out, &errb)
	if code != exitFail { // bad.scs does not parse
		t.Errorf("exit %d", code)
	}
	text := out.String()
	for _, re := range []string{`pass\.scs +ok\n`, `bad\.scs +does not parse: .*bad\.scs:5:`, `sub/tagged\.scs +tagged: what it is for +\[slow muc\] \(skipped: -skip-tag muc\)`} {
		if !regexp.MustCompile(re).MatchString(text) {
			t.Errorf("list lacks %s:\n%s", re, text)
		}
	}
	out.Reset()
	if code := run([]string{"-list", "-tag", "slow", dir}, &out, &errb); code != exitFail || strings.Contains(out.String(), "pass.scs") {
		t.Errorf("-tag slow: exit %d\n%s", code, out.String())
	}
}

func TestVersion(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"-version"}, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "muctest ") || !strings.Contains(out.String(), "go1.") {
		t.Errorf("exit %d, %q", code, out.String())
	}
}

func TestScriptOptions(t *testing.T) {
	cfg := config{server: "h:1", domain: "d", strict: true, timeout: time.Second, stepTimeout: 2 * time.Second,
		receiveWait: 3 * time.Second, tls: true, insecure: true, junit: "j.xml"}
	o := scriptOptions(cfg, func(string) {})
	if o.Addr != "h:1" || o.Domain != "d" || !o.Strict || o.Timeout != time.Second || o.StepTimeout != 2*time.Second ||
		o.ReceiveWait != 3*time.Second || !o.TLS || !o.InsecureSkipVerify || o.Trace == nil {
		t.Errorf("options %+v", o)
	}
	if o := scriptOptions(config{}, func(string) {}); o.Trace != nil || o.TLS {
		t.Errorf("default options %+v", o)
	}
}

// TestTLS runs a script over STARTTLS against the in-process server, whose
// certificate is self-signed: accepted with -insecure, refused without.
func TestTLS(t *testing.T) {
	p := write(t, t.TempDir(), "ok.scs", okScript+"Romeo sends:\n\t<presence/>\nRomeo receives:\n\t<presence/>\n")
	var out, errb bytes.Buffer
	if code := run([]string{"-tls", "-insecure", "-strict", p}, &out, &errb); code != 0 {
		t.Fatalf("-tls -insecure: exit %d\n%s%s", code, out.String(), errb.String())
	}
	ip, err := script.StartInProcess(script.DefaultServerConfig()) // its own certificate
	if err != nil {
		t.Fatal(err)
	}
	defer ip.Close()
	out.Reset()
	if code := run([]string{"-tls", "-server", ip.Options(script.Options{}).Addr, p}, &out, &errb); code != exitFail ||
		!strings.Contains(out.String(), "certificate") {
		t.Errorf("-tls without -insecure: exit %d\n%s", code, out.String())
	}
}

// TestStepTimeout points the runner at a server that accepts connections
// and never says a word: the connect step fails at the step timeout, which
// the report names, long before the script's own timeout.
func TestStepTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	defer func() {
		ln.Close()
		wg.Wait()
		for _, c := range conns {
			c.Close()
		}
	}()
	p := write(t, t.TempDir(), "ok.scs", okScript)
	var out, errb bytes.Buffer
	code := run([]string{"-server", ln.Addr().String(), "-step-timeout", "100ms", "-timeout", "1h", p}, &out, &errb)
	if code != exitFail || !strings.Contains(out.String(), "ok.scs:5: Romeo connects") || !strings.Contains(out.String(), "the per-step time limit (Options.StepTimeout, 100ms) ran out at line 5") {
		t.Errorf("exit %d\n%s%s", code, out.String(), errb.String())
	}
}

// TestOrderedText: the first unfinished script writes straight through;
// the others wait for every script before them.
func TestOrderedText(t *testing.T) {
	var b bytes.Buffer
	o := newOrderedText(&b, 3)
	s0, s1, s2 := o.section(0), o.section(1), o.section(2)
	s1.write("one\n")
	s0.write("zero-a\n")
	if b.String() != "zero-a\n" {
		t.Fatalf("section 0 is buffered: %q", b.String())
	}
	s2.write("two\n")
	s2.close()
	s0.write("zero-b\n")
	s0.close()
	if b.String() != "zero-a\nzero-b\none\n" {
		t.Fatalf("after 0 closed: %q", b.String())
	}
	s1.write("one-b\n") // now the one printing
	if !strings.HasSuffix(b.String(), "one-b\n") {
		t.Fatalf("section 1 does not stream once current: %q", b.String())
	}
	s1.close()
	o.wait()
	if b.String() != "zero-a\nzero-b\none\none-b\ntwo\n" {
		t.Errorf("final %q", b.String())
	}
}

// TestVerboseStreams: -v prints each step with its duration, in script
// order, and the PASS line.
func TestVerboseStreams(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"-strict", "-v", "-parallel", "2", "../../spec/muc_mediated_invite.scs", "../../spec/c2s_blocking.scs"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errb.String())
	}
	text := out.String()
	a := strings.Index(text, "--- PASS: ../../spec/muc_mediated_invite.scs")
	b := strings.Index(text, "../../spec/c2s_blocking.scs:")
	if a < 0 || b < 0 || b < a {
		t.Errorf("scripts not in order (%d, %d):\n%s", a, b, text)
	}
	if !regexp.MustCompile(`(?m)^\.\./\.\./spec/muc_mediated_invite\.scs:\d+: Romeo connects\n    Romeo bound .*\n    \([0-9.]+ms\)\n`).MatchString(text) {
		t.Errorf("no step with its duration:\n%s", text)
	}
	if !strings.HasSuffix(text, "2 passed, 0 failed\n") {
		t.Errorf("summary %q", text[max(0, len(text)-100):])
	}
}

// validateJUnit checks a report against Jenkins' schema with xmllint.
func validateJUnit(t *testing.T, path string) {
	t.Helper()
	x, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("xmllint is missing under CI=true (apt-get install libxml2-utils)")
		}
		t.Log("xmllint not installed: schema not checked")
		return
	}
	if out, err := exec.Command(x, "--noout", "--schema", "../../report/testdata/junit-10.xsd", path).CombinedOutput(); err != nil {
		t.Errorf("xmllint: %v\n%s", err, out)
	}
}

// TestWarnings: a lint finding is printed for a passing script, without -v
// and in the -json stream.
func TestWarnings(t *testing.T) {
	p := write(t, t.TempDir(), "w.scs", okScript+"Romeo sends:\n\t<presence/>\n\n\t<presence/>\nRomeo receives:\n\t<presence/>\n")
	var out, errb bytes.Buffer
	if code := run([]string{p}, &out, &errb); code != 0 || !strings.Contains(out.String(), "warning: "+p+":") {
		t.Errorf("exit %d\n%s%s", code, out.String(), errb.String())
	}
	out.Reset()
	if code := run([]string{"-json", p}, &out, &errb); code != 0 || !strings.Contains(out.String(), `"Output":"warning: `) {
		t.Errorf("-json: exit %d\n%s", code, out.String())
	}
}

// TestShardRun: -d is a folder like a PATH, and the shards of a run
// together run every script once, each writing its own named report.
func TestShardRun(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a", "b", "c"} {
		write(t, dir, n+".scs", okScript)
	}
	ran := map[string]int{}
	for _, sh := range []string{"1/2", "2/2"} {
		junit := filepath.Join(t.TempDir(), "j.xml")
		var out, errb bytes.Buffer
		if code := run([]string{"-v", "-shard", sh, "-junit", junit, "-d", dir}, &out, &errb); code != 0 {
			t.Fatalf("shard %s: exit %d\n%s%s", sh, code, out.String(), errb.String())
		}
		for _, m := range regexp.MustCompile(`--- PASS: \S+/(\w\.scs)`).FindAllStringSubmatch(out.String(), -1) {
			ran[m[1]]++
		}
		if b, err := os.ReadFile(junit); err != nil || !strings.Contains(string(b), `<testsuites name="muctest shard `+sh+`"`) {
			t.Errorf("shard %s report: %v\n%s", sh, err, b)
		}
		validateJUnit(t, junit)
	}
	if len(ran) != 3 || ran["a.scs"] != 1 || ran["b.scs"] != 1 || ran["c.scs"] != 1 {
		t.Errorf("scripts run per shard: %v", ran)
	}
}

// TestReceiveWait runs against a server taken as external (no WaitIdle): a
// stanza that never comes is waited for -receive-wait, which the failure
// names.
func TestReceiveWait(t *testing.T) {
	ip, err := script.StartInProcess(script.DefaultServerConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer ip.Close()
	p := write(t, t.TempDir(), "wait.scs", okScript+"Romeo receives:\n\t<message><body>never</body></message>\n")
	var out, errb bytes.Buffer
	code := run([]string{"-server", ip.Options(script.Options{}).Addr, "-receive-wait", "20ms", p}, &out, &errb)
	if code != exitFail || !strings.Contains(out.String(), "waited 20ms for it") {
		t.Errorf("exit %d\n%s%s", code, out.String(), errb.String())
	}
}

// TestInterrupt: SIGINT during a run (a cancelled CI job) stops the script
// running, reports the ones not started as skipped, and still writes the
// summary and the JUnit report, exiting 1.
func TestInterrupt(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	dir := t.TempDir()
	write(t, dir, "a.scs", okScript)
	write(t, dir, "b.scs", okScript)
	junit := filepath.Join(t.TempDir(), "j.xml")
	var out, errb bytes.Buffer
	code := make(chan int)
	go func() {
		code <- run([]string{"-server", ln.Addr().String(), "-junit", junit, dir}, &out, &errb)
	}()
	c := <-accepted // a.scs is connecting: the handler is installed
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	got := <-code
	c.Close()
	ln.Close()
	for c := range accepted {
		c.Close()
	}
	if got != exitFail || !strings.Contains(out.String(), "0 passed, 1 failed, 1 skipped") || !strings.Contains(errb.String(), "interrupted") {
		t.Errorf("exit %d\n%s%s", got, out.String(), errb.String())
	}
	if b, err := os.ReadFile(junit); err != nil || !strings.Contains(string(b), "muctest was interrupted") {
		t.Errorf("junit: %v\n%s", err, b)
	}
}
