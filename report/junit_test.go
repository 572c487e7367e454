package report

import (
	"bytes"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sampleRun() Run {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return Run{
		Name:     "muctest",
		Hostname: "ci-1",
		Start:    start,
		Cases: []Case{
			{Package: "spec", Name: "a.scs", Title: "A title", Status: Pass, Output: "spec/a.scs:5: Romeo connects\n", Start: start.Add(time.Second), Elapsed: 20 * time.Millisecond},
			{Package: "spec", Name: "b.scs", Status: Fail, Message: "Romeo did not receive the expected stanza",
				Detail: "spec/b.scs:6: Romeo receives:\n    <message/>   <-- here ]]> \x1b[0m", Elapsed: 1500 * time.Millisecond},
			{Package: "spec/sub", Name: "c.scs", Status: Error, Message: "spec/sub/c.scs:2: unknown verb \"dances\""},
			{Package: "spec/sub", Name: "d.scs", Status: Skip, Message: "tag slow is skipped"},
		},
	}
}

func TestJUnit(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJUnit(&b, sampleRun()); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if doc.Tests != 4 || doc.Failures != 1 || doc.Errors != 1 || doc.Time != "1.520" || len(doc.Suites) != 2 {
		t.Fatalf("testsuites = %+v", doc)
	}
	spec, sub := doc.Suites[0], doc.Suites[1]
	if spec.Name != "spec" || spec.Tests != 2 || spec.Failures != 1 || spec.Errors != 0 || spec.Skipped != 0 ||
		spec.Hostname != "ci-1" || spec.Timestamp != "2026-01-02T03:04:06" || spec.Time != "1.520" {
		t.Errorf("suite spec = %+v", spec)
	}
	if sub.Name != "spec/sub" || sub.Tests != 2 || sub.Errors != 1 || sub.Skipped != 1 || sub.Timestamp != "2026-01-02T03:04:05" {
		t.Errorf("suite spec/sub = %+v", sub)
	}
	a, fail := spec.Cases[0], spec.Cases[1]
	if a.Classname != "spec" || a.Name != "a.scs" || a.Time != "0.020" || a.SystemOut == nil || a.SystemOut.Text != "# A title\nspec/a.scs:5: Romeo connects\n" || a.Failure != nil {
		t.Errorf("case a = %+v", a)
	}
	if fail.Failure == nil || fail.Failure.Type != "failure" || !strings.Contains(fail.Failure.Text, "<-- here ]]> \uFFFD[0m") {
		t.Errorf("case b = %+v", fail)
	}
	if c := sub.Cases[0]; c.Error == nil || c.Failure != nil || c.Classname != "spec/sub" || !strings.Contains(c.Error.Message, "unknown verb") {
		t.Errorf("case c = %+v", c)
	}
	if d := sub.Cases[1]; d.Skipped == nil || d.Skipped.Message != "tag slow is skipped" {
		t.Errorf("case d = %+v", d)
	}
}

// TestJUnitSchema validates the report against Jenkins' junit-10.xsd with
// xmllint (Debian's libxml2-utils, installed by .ci/run).
func TestJUnitSchema(t *testing.T) {
	xmllint := lookXmllint(t)
	p := filepath.Join(t.TempDir(), "junit.xml")
	empty := filepath.Join(t.TempDir(), "empty.xml")
	if err := WriteJUnitFile(p, sampleRun()); err != nil {
		t.Fatal(err)
	}
	if err := WriteJUnitFile(empty, Run{Name: "muctest"}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{p, empty} {
		out, err := exec.Command(xmllint, "--noout", "--schema", "testdata/junit-10.xsd", f).CombinedOutput()
		if err != nil {
			b, _ := os.ReadFile(f)
			t.Errorf("xmllint: %v\n%s\n%s", err, out, b)
		}
	}
	// The schema check can fail: a report without the errors attribute
	// (what muctest wrote before) is refused.
	bad := filepath.Join(t.TempDir(), "bad.xml")
	os.WriteFile(bad, []byte(`<testsuite name="x" tests="0" failures="0"/>`), 0o644)
	if out, err := exec.Command(xmllint, "--noout", "--schema", "testdata/junit-10.xsd", bad).CombinedOutput(); err == nil {
		t.Errorf("xmllint accepts a testsuite without errors:\n%s", out)
	}
}

func TestJUnitFileErrors(t *testing.T) {
	if err := WriteJUnitFile(filepath.Join(t.TempDir(), "no", "such", "dir.xml"), sampleRun()); err == nil {
		t.Error("writing into a missing folder succeeded")
	}
	if _, err := os.Stat("/dev/full"); err == nil {
		if err := WriteJUnitFile("/dev/full", sampleRun()); err == nil {
			t.Error("writing to /dev/full succeeded")
		}
	}
}

// lookXmllint finds xmllint; without it the schema test skips, except
// under CI=true, where .ci/run has installed it and its absence is a
// failure.
func lookXmllint(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("xmllint is missing under CI=true (apt-get install libxml2-utils)")
		}
		t.Skip("xmllint not installed (apt-get install libxml2-utils)")
	}
	return p
}
