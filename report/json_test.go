package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock returns a Stream time source advancing 10 ms per call.
func clock() func() time.Time {
	t := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return func() time.Time {
		t = t.Add(10 * time.Millisecond)
		return t
	}
}

func events(t *testing.T, b []byte) []Event {
	t.Helper()
	var out []Event
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var e Event
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			t.Fatalf("not a test2json event: %q: %v", sc.Text(), err)
		}
		if e.Time.IsZero() {
			t.Errorf("event without Time: %q", sc.Text())
		}
		out = append(out, e)
	}
	return out
}

// render is one event per line, as "action pkg test elapsed output", for
// comparison with a table.
func render(evs []Event) []string {
	var out []string
	for _, e := range evs {
		s := e.Action + " " + e.Package
		if e.Test != "" {
			s += " " + e.Test
		}
		if e.Elapsed != nil {
			s += fmt.Sprintf(" %.2f", *e.Elapsed)
		}
		if e.Output != "" {
			s += " " + fmt.Sprintf("%q", e.Output)
		}
		out = append(out, s)
	}
	return out
}

func TestStream(t *testing.T) {
	var b bytes.Buffer
	s := NewStream(&b)
	s.now = clock()
	s.Start("spec")
	s.Run("spec", "a.scs")
	s.Output("spec", "a.scs", "step 1\nstep 2\n")
	s.End(Case{Package: "spec", Name: "a.scs", Status: Pass, Elapsed: 20 * time.Millisecond})
	s.Run("spec", "b.scs")
	s.End(Case{Package: "spec", Name: "b.scs", Status: Fail, Message: "short", Detail: "b.scs:3: X receives:\n    did not receive", Elapsed: 5 * time.Millisecond})
	s.Run("other", "c.scs") // opens its package
	s.End(Case{Package: "other", Name: "c.scs", Status: Skip, Message: "tag slow is skipped"})
	s.Run("other", "d.scs")
	s.End(Case{Package: "other", Name: "d.scs", Status: Error, Message: "d.scs:2: unknown verb"})
	s.Run("third", "e.scs")
	s.End(Case{Package: "third", Name: "e.scs", Status: Pass})
	s.Finish("third", "spec")
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`start spec`,
		`run spec a.scs`,
		`output spec a.scs "=== RUN   a.scs\n"`,
		`output spec a.scs "step 1\n"`,
		`output spec a.scs "step 2\n"`,
		`output spec a.scs "--- PASS: a.scs (0.02s)\n"`,
		`pass spec a.scs 0.02`,
		`run spec b.scs`,
		`output spec b.scs "=== RUN   b.scs\n"`,
		`output spec b.scs "--- FAIL: b.scs (0.01s)\n"`,
		`output spec b.scs "    b.scs:3: X receives:\n"`,
		`output spec b.scs "        did not receive\n"`,
		`fail spec b.scs 0.01`,
		`start other`,
		`run other c.scs`,
		`output other c.scs "=== RUN   c.scs\n"`,
		`output other c.scs "--- SKIP: c.scs (0.00s)\n"`,
		`output other c.scs "    tag slow is skipped\n"`,
		`skip other c.scs 0.00`,
		`run other d.scs`,
		`output other d.scs "=== RUN   d.scs\n"`,
		`output other d.scs "--- FAIL: d.scs (0.00s)\n"`,
		`output other d.scs "    d.scs:2: unknown verb\n"`,
		`fail other d.scs 0.00`,
		`start third`,
		`run third e.scs`,
		`output third e.scs "=== RUN   e.scs\n"`,
		`output third e.scs "--- PASS: e.scs (0.00s)\n"`,
		`pass third e.scs 0.00`,
		`output third "PASS\n"`,
		`output third "ok  \tthird\t0.060s\n"`,
		`pass third 0.06`,
		`output spec "FAIL\n"`,
		`output spec "FAIL\tspec\t0.360s\n"`,
		`fail spec 0.36`,
		`output other "FAIL\n"`,
		`output other "FAIL\tother\t0.260s\n"`,
		`fail other 0.26`,
	}
	got := render(events(t, b.Bytes()))
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("stream:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

type failingWriter struct{ n int }

func (w *failingWriter) Write(p []byte) (int, error) {
	w.n++
	return 0, errors.New("broken pipe")
}

// TestStreamWriteError keeps the first write error and stops writing.
func TestStreamWriteError(t *testing.T) {
	w := &failingWriter{}
	s := NewStream(w)
	s.Run("p", "t")
	s.End(Case{Package: "p", Name: "t"})
	s.Finish()
	if err := s.Err(); err == nil || !strings.Contains(err.Error(), "broken pipe") {
		t.Errorf("Err() = %v", err)
	}
	if w.n != 1 {
		t.Errorf("%d writes after the first error, want none", w.n-1)
	}
}

// TestStreamConcurrent reports from parallel tests: every line stays one
// whole event (run with -race).
func TestStreamConcurrent(t *testing.T) {
	var b bytes.Buffer
	s := NewStream(&b)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("t%d", i)
			s.Run("p", name)
			s.Output("p", name, "a\nb\n")
			s.End(Case{Package: "p", Name: name})
		}()
	}
	wg.Wait()
	s.Finish()
	evs := events(t, b.Bytes())
	passes := 0
	for _, e := range evs {
		if e.Action == "pass" && e.Test != "" {
			passes++
		}
	}
	if passes != 8 || evs[len(evs)-1].Action != "pass" || evs[len(evs)-1].Test != "" {
		t.Errorf("%d test passes; last event %+v", passes, evs[len(evs)-1])
	}
}

func TestSplit(t *testing.T) {
	for _, tt := range []struct{ in, pkg, name string }{
		{"spec/a.scs", "spec", "a.scs"},
		{"a.scs", ".", "a.scs"},
		{"./spec//sub/b.scs", "spec/sub", "b.scs"},
		{"../shared/corpus/prosody/muc.scs", "../shared/corpus/prosody", "muc.scs"},
		{"/abs/c.scs", "/abs", "c.scs"},
	} {
		if pkg, name := Split(tt.in); pkg != tt.pkg || name != tt.name {
			t.Errorf("Split(%q) = %q, %q; want %q, %q", tt.in, pkg, name, tt.pkg, tt.name)
		}
	}
}
