// Command muctest runs scansion .scs scripts against an XMPP server: by
// default a fresh in-process muctest server per script, or an external
// server with -server.
//
// Usage:
//
//	muctest [flags] PATH...
//
// PATH is a .scs file or a folder searched recursively. Every script runs
// with one real XMPP client connection per [Client] over loopback TCP. The
// last line of output is always "N passed, N failed". The exit status is 0
// when all passed, 1 when any failed, 2 on usage or parse errors.
//
// Flags:
//
//	-server host:port  run against an external server (scripts then run one
//	                   at a time unless -parallel is given)
//	-domain name       stream "to" domain (default: each JID's domain)
//	-run regexp        run only scripts whose path matches
//	-v                 print every step and stanza
//	-parallel N        scripts run at once, each with its own server
//	                   (default GOMAXPROCS; 1 with -server)
//	-timeout d         time limit per script (default 30s)
//	-json              print go test -json style events instead of text
//	-junit file        also write a JUnit XML report
//	-strict            fail on any stanza a script does not expect
//
// See package script for the language and the receive semantics.
package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/muctest/muctest/script"
)

func main() {
	os.Exit(subcommand(os.Args[1:], os.Stdout, os.Stderr))
}

type config struct {
	server   string
	domain   string
	runRe    *regexp.Regexp
	verbose  bool
	parallel int
	timeout  time.Duration
	json     bool
	junit    string
	strict   bool
}

func run(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("muctest", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var cfg config
	var runExpr string
	fl.StringVar(&cfg.server, "server", "", "run against the external server at `host:port` instead of an in-process one")
	fl.StringVar(&cfg.domain, "domain", "", "stream `domain` (default: each client JID's domain)")
	fl.StringVar(&runExpr, "run", "", "run only scripts whose path matches `regexp`")
	fl.BoolVar(&cfg.verbose, "v", false, "print the trace of every step and stanza")
	fl.IntVar(&cfg.parallel, "parallel", 0, "run `N` scripts at once, each with its own server (default GOMAXPROCS, 1 with -server)")
	fl.DurationVar(&cfg.timeout, "timeout", 30*time.Second, "time limit per script")
	fl.BoolVar(&cfg.json, "json", false, "print go test -json style events")
	fl.StringVar(&cfg.junit, "junit", "", "write a JUnit XML report to `file`")
	fl.BoolVar(&cfg.strict, "strict", false, "fail on any stanza a script does not expect")
	fl.Usage = func() {
		fmt.Fprintf(stderr, "usage: muctest [flags] PATH...\n\nRuns scansion .scs scripts (files, or folders searched recursively).\n\n")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() == 0 {
		fl.Usage()
		return 2
	}
	if runExpr != "" {
		re, err := regexp.Compile(runExpr)
		if err != nil {
			fmt.Fprintf(stderr, "muctest: -run: %v\n", err)
			return 2
		}
		cfg.runRe = re
	}
	if cfg.parallel <= 0 {
		cfg.parallel = runtime.GOMAXPROCS(0)
		if cfg.server != "" {
			// Scripts share JIDs and room names: on one server they
			// must not overlap.
			cfg.parallel = 1
		}
	}
	files, err := collect(fl.Args())
	if err != nil {
		fmt.Fprintf(stderr, "muctest: %v\n", err)
		return 2
	}
	var scripts []*script.Script
	parseFailed := false
	for _, f := range files {
		if cfg.runRe != nil && !cfg.runRe.MatchString(f) {
			continue
		}
		s, err := script.ParseFile(f)
		if err != nil {
			fmt.Fprintf(stderr, "muctest: %v\n", err)
			parseFailed = true
			continue
		}
		scripts = append(scripts, s)
	}
	if parseFailed {
		return 2
	}
	if cfg.json {
		emit(stdout, event{Action: "start"})
	}
	results := runAll(scripts, cfg, stdout)
	passed, failed := 0, 0
	for _, r := range results {
		if r.Passed() {
			passed++
		} else {
			failed++
		}
	}
	if cfg.junit != "" {
		if err := writeJUnit(cfg.junit, results); err != nil {
			fmt.Fprintf(stderr, "muctest: -junit: %v\n", err)
		}
	}
	summary := fmt.Sprintf("%d passed, %d failed", passed, failed)
	if cfg.json {
		emit(stdout, event{Action: "output", Output: summary + "\n"})
		act := "pass"
		if failed > 0 {
			act = "fail"
		}
		emit(stdout, event{Action: act})
	}
	fmt.Fprintln(stdout, summary)
	if failed > 0 {
		return 1
	}
	return 0
}

// collect expands PATH arguments into .scs files, sorted within a folder.
func collect(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			out = append(out, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(path, ".scs") {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("%s: no .scs files", p)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

// runAll runs the scripts cfg.parallel at a time and prints each result as
// it completes, in input order.
func runAll(scripts []*script.Script, cfg config, out io.Writer) []*script.Result {
	results := make([]*script.Result, len(scripts))
	done := make([]chan struct{}, len(scripts))
	for i := range done {
		done[i] = make(chan struct{})
	}
	sem := make(chan struct{}, cfg.parallel)
	var wg sync.WaitGroup
	for i, s := range scripts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = runOne(s, cfg)
			close(done[i])
		}()
	}
	for i := range scripts {
		<-done[i]
		report(out, results[i], cfg)
	}
	wg.Wait()
	return results
}

func runOne(s *script.Script, cfg config) *script.Result {
	opts := script.Options{Addr: cfg.server, Domain: cfg.domain, Strict: cfg.strict, Timeout: cfg.timeout, Verbose: cfg.verbose}
	ctx := context.Background()
	if cfg.server != "" {
		return script.Run(ctx, s, opts)
	}
	return script.RunInProcess(ctx, s, script.DefaultServerConfig(), opts)
}

func report(out io.Writer, r *script.Result, cfg config) {
	name := r.Script.Path
	secs := r.Duration.Seconds()
	var b strings.Builder
	if cfg.verbose {
		for _, l := range r.Trace {
			b.WriteString(l + "\n")
		}
	}
	if r.Passed() {
		if cfg.verbose || cfg.json {
			fmt.Fprintf(&b, "--- PASS: %s (%.2fs)\n", name, secs)
		}
	} else {
		fmt.Fprintf(&b, "--- FAIL: %s (%.2fs)\n", name, secs)
		b.WriteString(indentLines(r.Failure.Error(), "    "))
	}
	if !cfg.json {
		io.WriteString(out, b.String())
		return
	}
	emit(out, event{Action: "run", Test: name})
	if b.Len() > 0 {
		for _, l := range strings.SplitAfter(b.String(), "\n") {
			if l != "" {
				emit(out, event{Action: "output", Test: name, Output: l})
			}
		}
	}
	act := "pass"
	if !r.Passed() {
		act = "fail"
	}
	emit(out, event{Action: act, Test: name, Elapsed: secs})
}

func indentLines(s, prefix string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString(prefix + l + "\n")
	}
	return b.String()
}

// event is one line of -json output, shaped like go test -json's
// test2json events so existing tools can read it.
type event struct {
	Time    time.Time `json:"Time"`
	Action  string    `json:"Action"`
	Package string    `json:"Package"`
	Test    string    `json:"Test,omitempty"`
	Elapsed float64   `json:"Elapsed,omitempty"`
	Output  string    `json:"Output,omitempty"`
}

func emit(out io.Writer, e event) {
	e.Time = time.Now()
	e.Package = "muctest"
	b, _ := json.Marshal(e)
	out.Write(append(b, '\n'))
}

type junitSuite struct {
	XMLName  xml.Name    `xml:"testsuite"`
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Time     float64     `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      float64       `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",cdata"`
}

func writeJUnit(path string, results []*script.Result) error {
	s := junitSuite{Name: "muctest", Tests: len(results)}
	for _, r := range results {
		c := junitCase{Name: r.Script.Path, Classname: "muctest", Time: r.Duration.Seconds()}
		if r.Script.Title != "" {
			c.Name = r.Script.Path + ": " + r.Script.Title
		}
		if !r.Passed() {
			s.Failures++
			c.Failure = &junitFailure{Message: r.Failure.Msg, Text: r.Failure.Error()}
		}
		s.Time += r.Duration.Seconds()
		s.Cases = append(s.Cases, c)
	}
	b, err := xml.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return errors.Join(os.WriteFile(path, append([]byte(xml.Header), append(b, '\n')...), 0o644))
}
