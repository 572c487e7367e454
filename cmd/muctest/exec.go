package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/muctest/muctest/report"
	"github.com/muctest/muctest/script"
)

// execute runs the jobs cfg.parallel at a time, streams their output
// (text in input order, or go test -json events as they happen), prints
// the summary and writes the JUnit report. See the package doc for the
// exit status.
func execute(jobs []*job, cfg config, stdout, stderr io.Writer) int {
	out := &errWriter{w: stdout}
	var stream *report.Stream
	if cfg.json {
		stream = report.NewStream(out)
		// The packages open in the order their first script comes.
		for _, j := range jobs {
			pkg, _ := report.Split(j.path)
			stream.Start(pkg)
		}
	}
	start := time.Now()
	// SIGINT or SIGTERM (a cancelled CI job) stops the scripts running,
	// reports those not started as skipped, and still prints the summary
	// and writes the reports.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cases := make([]report.Case, len(jobs))
	text := newOrderedText(out, len(jobs))
	// Workers take the scripts in input order, so that a run starts
	// them in the same order every time.
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(cfg.parallel, len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				cases[i] = runJob(ctx, jobs[i], cfg, stream, text.section(i))
			}
		}()
	}
	for i := range jobs {
		next <- i
	}
	close(next)
	wg.Wait()
	text.wait()

	var passed, failed, skipped int
	var pkgs []string
	seenPkg := map[string]bool{}
	for _, c := range cases {
		switch c.Status {
		case report.Pass:
			passed++
		case report.Skip:
			skipped++
		default:
			failed++
		}
		if !seenPkg[c.Package] {
			seenPkg[c.Package] = true
			pkgs = append(pkgs, c.Package)
		}
	}
	code := exitPass
	if failed > 0 || ctx.Err() != nil {
		code = exitFail
	}
	if stream != nil {
		stream.Finish(pkgs...)
		if err := stream.Err(); err != nil {
			fmt.Fprintf(stderr, "muctest: %v\n", err)
			code = exitUsage
		}
	}
	if cfg.junit != "" {
		host, _ := os.Hostname()
		name := "muctest"
		if cfg.shard.n > 1 {
			// The matrix jobs' reports are told apart when merged.
			name = fmt.Sprintf("muctest shard %d/%d", cfg.shard.k, cfg.shard.n)
		}
		if err := report.WriteJUnitFile(cfg.junit, report.Run{Name: name, Hostname: host, Start: start, Cases: cases}); err != nil {
			fmt.Fprintf(stderr, "muctest: -junit: %v\n", err)
			code = exitUsage
		}
	}
	summary := fmt.Sprintf("%d passed, %d failed", passed, failed)
	if skipped > 0 {
		summary += fmt.Sprintf(", %d skipped", skipped)
	}
	if cfg.json {
		// stdout carries JSON only: tools that read go test -json
		// stop at the first line that is not an event.
		fmt.Fprintln(stderr, summary)
	} else {
		fmt.Fprintln(out, summary)
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "muctest: interrupted")
	}
	if out.err != nil {
		fmt.Fprintf(stderr, "muctest: writing the output: %v\n", out.err)
		code = exitUsage
	}
	return code
}

// runJob runs one script (or reports why it does not run) and returns its
// case; its text output goes to sec, or to the stream with -json.
func runJob(ctx context.Context, j *job, cfg config, stream *report.Stream, sec *section) report.Case {
	pkg, name := report.Split(j.path)
	c := report.Case{Package: pkg, Name: name, Start: time.Now()}
	if j.script != nil {
		c.Title = strings.TrimSpace(j.script.Title)
	}
	if stream != nil {
		stream.Run(pkg, name)
	}
	var trace strings.Builder
	emit := func(line string) {
		line += "\n"
		trace.WriteString(line)
		if stream != nil {
			stream.Output(pkg, name, line)
		} else if cfg.verbose {
			sec.write(line)
		}
	}
	// Lint findings (parse time) and what looked wrong while running
	// are printed even when the script passes, as go vet's are.
	var warnings []string
	if j.script != nil {
		for _, w := range j.script.Warnings {
			warnings = append(warnings, w.Error())
		}
	}
	switch {
	case j.parseErr != nil:
		c.Status, c.Message = report.Error, j.parseErr.Error()
	case j.skip != "":
		c.Status, c.Message = report.Skip, j.skip
	case ctx.Err() != nil:
		c.Status, c.Message = report.Skip, "not run: muctest was interrupted"
	case len(j.script.Steps) == 0:
		// A script that does nothing passes vacuously; it is
		// almost always a file cut short or a header without its
		// dashes.
		c.Status = report.Error
		c.Message = j.path + ": the script has no steps (is the line of dashes after the header missing?)"
	default:
		r := runScript(ctx, j.script, cfg, emit)
		c.Elapsed = r.Duration
		warnings = append(warnings, r.Warnings...)
		if !r.Passed() {
			c.Status = report.Fail
			c.Message = r.Failure.Msg
			c.Detail = r.Failure.Error()
		}
	}
	if c.Elapsed == 0 {
		c.Elapsed = time.Since(c.Start)
	}
	for _, w := range warnings {
		line := "warning: " + w + "\n"
		trace.WriteString(line)
		if stream != nil {
			stream.Output(pkg, name, line)
		} else {
			sec.write(line)
		}
	}
	c.Output = trace.String()
	if stream != nil {
		stream.End(c)
	} else {
		sec.write(textVerdict(c, cfg.verbose))
	}
	sec.close()
	return c
}

// textVerdict is the text-mode report of a finished script: nothing for a
// pass without -v, go test's "--- FAIL: name (0.02s)" line and the indented
// report for a failure.
func textVerdict(c report.Case, verbose bool) string {
	name := c.Package + "/" + c.Name
	if c.Package == "." {
		name = c.Name
	}
	secs := c.Elapsed.Seconds()
	switch c.Status {
	case report.Pass:
		if verbose {
			return fmt.Sprintf("--- PASS: %s (%.2fs)\n", name, secs)
		}
		return ""
	case report.Skip:
		if verbose {
			return fmt.Sprintf("--- SKIP: %s (0.00s)\n    %s\n", name, c.Message)
		}
		return ""
	}
	detail := c.Detail
	if detail == "" {
		detail = c.Message
	}
	return fmt.Sprintf("--- FAIL: %s (%.2fs)\n%s", name, secs, indentLines(detail, "    "))
}

// runScript runs a parsed script with the options cfg gives, streaming
// its trace lines to emit: against -server, or a fresh in-process server
// (script.DefaultServerConfig: every server of the run shares one
// STARTTLS certificate, made once).
func runScript(ctx context.Context, s *script.Script, cfg config, emit func(string)) *script.Result {
	return script.RunScript(ctx, s, scriptOptions(cfg, emit))
}

// scriptOptions maps the flags onto the script runner's options. The
// trace is wanted with -v, with -json (go test -json implies -v) and for
// the JUnit report's system-out; it streams through emit, so Result.Trace
// (Verbose) is not kept twice.
func scriptOptions(cfg config, emit func(string)) script.Options {
	o := script.Options{
		Addr: cfg.server, Domain: cfg.domain, Strict: cfg.strict, Timeout: cfg.timeout,
		StepTimeout: cfg.stepTimeout, ReceiveWait: cfg.receiveWait,
		TLS: cfg.tls, InsecureSkipVerify: cfg.insecure,
	}
	if cfg.verbose || cfg.json || cfg.junit != "" {
		o.Trace = emit
	}
	return o
}

func indentLines(s, prefix string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString(prefix + l + "\n")
	}
	return b.String()
}

// orderedText prints the text output of scripts running in parallel in
// input order without holding it back longer than needed: the earliest
// unfinished script writes straight through (so -v streams), the others
// buffer until every script before them is done.
type orderedText struct {
	mu       sync.Mutex
	w        io.Writer
	sections []*section
	current  int
	done     chan struct{}
}

// section is one script's share of the output.
type section struct {
	t      *orderedText
	i      int
	buf    strings.Builder
	closed bool
}

func newOrderedText(w io.Writer, n int) *orderedText {
	t := &orderedText{w: w, done: make(chan struct{})}
	for i := range n {
		t.sections = append(t.sections, &section{t: t, i: i})
	}
	if n == 0 {
		close(t.done)
	}
	return t
}

func (t *orderedText) section(i int) *section { return t.sections[i] }

// wait returns once every section is closed and printed.
func (t *orderedText) wait() { <-t.done }

func (s *section) write(text string) {
	if text == "" {
		return
	}
	t := s.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.current == s.i {
		io.WriteString(t.w, text)
		return
	}
	s.buf.WriteString(text)
}

// close ends the section; when it was the one printing, the sections
// after it that are already done are flushed, and the next one still
// running takes over.
func (s *section) close() {
	t := s.t
	t.mu.Lock()
	defer t.mu.Unlock()
	s.closed = true
	for t.current < len(t.sections) {
		cur := t.sections[t.current]
		if cur.buf.Len() > 0 {
			io.WriteString(t.w, cur.buf.String())
			cur.buf.Reset()
		}
		if !cur.closed {
			return
		}
		t.current++
	}
	close(t.done)
}
