package report

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
)

// Event is one line of the `go test -json` stream, as cmd/test2json
// defines it.
type Event struct {
	Time    time.Time `json:"Time"`
	Action  string    `json:"Action"`
	Package string    `json:"Package,omitempty"`
	Test    string    `json:"Test,omitempty"`
	Elapsed *float64  `json:"Elapsed,omitempty"` // seconds, on pass, fail and skip (0 included)
	Output  string    `json:"Output,omitempty"`
}

// Stream writes go test -json events while a run progresses: a "start" per
// package, a "run" when a test starts, its output as it happens, its
// "pass", "fail" or "skip" with Elapsed, and the package's closing events
// with the same "ok" or "FAIL" lines go test prints. Only JSON goes to the
// writer, so gotestsum and the like read it as they read go test.
//
// A Stream is safe for concurrent use: tests running in parallel report
// through one Stream, each event naming its test. The first write error is
// kept (Err) and later writes are dropped, so that a broken pipe is
// reported once, by the caller, with a non-zero exit.
type Stream struct {
	mu   sync.Mutex
	w    io.Writer
	err  error
	now  func() time.Time
	pkgs map[string]*pkgState
}

type pkgState struct {
	start  time.Time
	failed bool
	ended  bool
}

// NewStream returns a Stream writing to w.
func NewStream(w io.Writer) *Stream {
	return &Stream{w: w, now: time.Now, pkgs: map[string]*pkgState{}}
}

// Err returns the first error writing the stream.
func (s *Stream) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *Stream) emit(e Event) {
	if s.err != nil {
		return
	}
	e.Time = s.now()
	b, err := json.Marshal(e)
	if err != nil {
		s.err = fmt.Errorf("report: json: %w", err)
		return
	}
	if _, err := s.w.Write(append(b, '\n')); err != nil {
		s.err = fmt.Errorf("report: writing the -json stream: %w", err)
	}
}

// Start opens a package. Test events open their package when it was not
// started, so calling Start first only fixes the order of the packages.
func (s *Stream) Start(pkg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.start(pkg)
}

func (s *Stream) start(pkg string) *pkgState {
	p := s.pkgs[pkg]
	if p == nil {
		p = &pkgState{start: s.now()}
		s.pkgs[pkg] = p
		s.emit(Event{Action: "start", Package: pkg})
	}
	return p
}

// Run says a test has started, as go test -v's "=== RUN" line.
func (s *Stream) Run(pkg, test string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.start(pkg)
	s.emit(Event{Action: "run", Package: pkg, Test: test})
	s.emit(Event{Action: "output", Package: pkg, Test: test, Output: "=== RUN   " + test + "\n"})
}

// Output adds text the test printed, one event per line as test2json does.
// An empty test names the package's own output.
func (s *Stream) Output(pkg, test, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.output(pkg, test, text)
}

func (s *Stream) output(pkg, test, text string) {
	for _, l := range strings.SplitAfter(text, "\n") {
		if l != "" {
			s.emit(Event{Action: "output", Package: pkg, Test: test, Output: l})
		}
	}
}

// End closes a test with the "--- PASS" (FAIL, SKIP) line, the failure
// report or skip reason indented under it as go test prints t.Error's, and
// the matching action with Elapsed. Error is reported as a failure: go
// test has no other word for a test that could not run.
func (s *Stream) End(c Case) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.start(c.Package)
	secs := c.Elapsed.Seconds()
	word, action := "PASS", "pass"
	switch c.Status {
	case Fail, Error:
		word, action = "FAIL", "fail"
		p.failed = true
	case Skip:
		word, action = "SKIP", "skip"
	}
	s.emit(Event{Action: "output", Package: c.Package, Test: c.Name, Output: fmt.Sprintf("--- %s: %s (%.2fs)\n", word, c.Name, secs)})
	detail := c.Detail
	if detail == "" {
		detail = c.Message
	}
	if detail != "" && c.Status != Pass {
		s.output(c.Package, c.Name, indent(detail, "    "))
	}
	s.emit(Event{Action: action, Package: c.Package, Test: c.Name, Elapsed: &secs})
}

// Finish closes every package still open, in the order given (others
// after them, sorted): "PASS" or "FAIL", then go test's
// "ok  \tpkg\t0.12s" or "FAIL\tpkg\t0.12s" line and the package's pass or
// fail event with its Elapsed since Start.
func (s *Stream) Finish(order ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, pkg := range order {
		s.finish(pkg)
	}
	rest := make([]string, 0, len(s.pkgs))
	for pkg := range s.pkgs {
		rest = append(rest, pkg)
	}
	sort.Strings(rest)
	for _, pkg := range rest {
		s.finish(pkg)
	}
}

func (s *Stream) finish(pkg string) {
	p := s.pkgs[pkg]
	if p == nil || p.ended {
		return
	}
	p.ended = true
	secs := s.now().Sub(p.start).Seconds()
	if p.failed {
		s.output(pkg, "", fmt.Sprintf("FAIL\nFAIL\t%s\t%.3fs\n", pkg, secs))
		s.emit(Event{Action: "fail", Package: pkg, Elapsed: &secs})
		return
	}
	s.output(pkg, "", fmt.Sprintf("PASS\nok  \t%s\t%.3fs\n", pkg, secs))
	s.emit(Event{Action: "pass", Package: pkg, Elapsed: &secs})
}

func indent(s, prefix string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString(prefix + l + "\n")
	}
	return b.String()
}
