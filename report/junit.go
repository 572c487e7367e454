package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode/utf8"
)

// Run is a whole run for the JUnit report: its cases, when it started and
// on which host.
type Run struct {
	// Name is the <testsuites> name, e.g. "muctest".
	Name string
	// Hostname is the machine that ran the tests; os.Hostname() when
	// empty, "localhost" when that fails.
	Hostname string
	// Start is when the run began; each suite's timestamp is its first
	// case's start, or Start when a case has none.
	Start time.Time
	Cases []Case
}

// The JUnit document, shaped by junit-10.xsd: <testsuites> holds one
// <testsuite> per package (the attributes the schema requires: name,
// tests, failures, errors), each case carrying at most one of failure,
// error or skipped, then its system-out.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr"`
	Hostname  string      `xml:"hostname,attr"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut *cdata        `xml:"system-out,omitempty"`
}

// cdata keeps multi-line text readable in the file (encoding/xml escapes
// every newline of chardata as &#xA;); xmlSafe has removed what CDATA
// cannot hold, and encoding/xml splits any "]]>".
type cdata struct {
	Text string `xml:",cdata"`
}

// xmlSafe replaces what XML 1.0 cannot carry at all (control characters
// other than tab and newlines, invalid UTF-8, U+FFFE/U+FFFF) with U+FFFD:
// a trace with a stray escape sequence must not make the report
// unreadable.
func xmlSafe(s string) string {
	ok := func(r rune) bool {
		return r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0xD7FF) ||
			(r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
	}
	clean := true
	for _, r := range s {
		if !ok(r) || r == utf8.RuneError {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if !ok(r) {
			r = '\uFFFD'
		}
		b.WriteRune(r)
	}
	return b.String()
}

type junitMessage struct {
	Message string `xml:"message,attr,omitempty"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",cdata"`
}

// seconds is a duration as the schema's SUREFIRE_TIME wants it: digits, a
// dot, digits (no exponent, no unit).
func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// WriteJUnit writes r as a JUnit XML document valid against Jenkins'
// junit-10.xsd: one <testsuite> per package in the order packages first
// appear, with errors, skipped, timestamp and hostname; each case's
// classname is its package, its Output (the -v trace) is its system-out.
// Text that XML cannot carry (control characters) is replaced by U+FFFD
// rather than making the document unreadable; multi-line text is CDATA.
func WriteJUnit(w io.Writer, r Run) error {
	host := r.Hostname
	if host == "" {
		var err error
		if host, err = os.Hostname(); err != nil || host == "" {
			host = "localhost"
		}
	}
	doc := junitSuites{Name: r.Name}
	index := map[string]int{}
	var total time.Duration
	var firstStart []time.Time
	for _, c := range r.Cases {
		i, ok := index[c.Package]
		if !ok {
			i = len(doc.Suites)
			index[c.Package] = i
			doc.Suites = append(doc.Suites, junitSuite{Name: c.Package, Hostname: host})
			firstStart = append(firstStart, time.Time{})
		}
		s := &doc.Suites[i]
		if !c.Start.IsZero() && (firstStart[i].IsZero() || c.Start.Before(firstStart[i])) {
			firstStart[i] = c.Start
		}
		jc := junitCase{Name: c.Name, Classname: c.Package, Time: seconds(c.Elapsed)}
		msg := &junitMessage{Message: c.Message, Text: xmlSafe(c.Detail)}
		switch c.Status {
		case Fail:
			msg.Type = "failure"
			jc.Failure = msg
			s.Failures++
		case Error:
			msg.Type = "error"
			jc.Error = msg
			s.Errors++
		case Skip:
			jc.Skipped = msg
			s.Skipped++
		}
		out := c.Output
		if c.Title != "" {
			out = "# " + c.Title + "\n" + out
		}
		if out != "" {
			jc.SystemOut = &cdata{Text: xmlSafe(out)}
		}
		s.Tests++
		s.Cases = append(s.Cases, jc)
		// Elapsed sums per suite; a parallel run's suites overlap, so
		// the total is CPU-like time, as go-junit-report gives too.
		total += c.Elapsed
	}
	for i := range doc.Suites {
		s := &doc.Suites[i]
		var d time.Duration
		for _, c := range r.Cases {
			if c.Package == s.Name {
				d += c.Elapsed
			}
		}
		s.Time = seconds(d)
		start := firstStart[i]
		if start.IsZero() {
			start = r.Start
		}
		if start.IsZero() {
			start = time.Now()
		}
		// ISO 8601 without a zone, as Ant writes it; UTC so that two
		// machines of a CI matrix agree.
		s.Timestamp = start.UTC().Format("2006-01-02T15:04:05")
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
	}
	doc.Time = seconds(total)
	b, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("report: junit: %w", err)
	}
	var out strings.Builder
	out.WriteString(xml.Header)
	out.Write(b)
	out.WriteString("\n")
	if _, err := io.WriteString(w, out.String()); err != nil {
		return fmt.Errorf("report: writing junit: %w", err)
	}
	return nil
}

// WriteJUnitFile writes the report to path, returning any error creating,
// writing or closing it (a full disk is an error, not a truncated report
// and a green exit).
func WriteJUnitFile(path string, r Run) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	err = WriteJUnit(f, r)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("report: %w", cerr)
	}
	return err
}
