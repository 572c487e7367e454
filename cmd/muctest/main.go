// Command muctest runs scansion .scs scripts against an XMPP server: by
// default a fresh in-process muctest server per script, or an external
// server with -server.
//
// Usage:
//
//	muctest [flags] PATH...
//
// PATH is a .scs file or a folder searched recursively. Every script runs
// with one real XMPP client connection per [Client] over loopback TCP.
//
// Output: a failing script prints its report (file and line, step,
// expected and closest received stanza, the client's last stanzas); -v
// streams every step, stanza and step duration as it happens. The last
// line is "N passed, N failed" (", N skipped" when some were), on stdout,
// or on stderr with -json, whose stdout is a pure go test -json stream
// (one package per folder, one test per script) that gotestsum and other
// go test tools read. A script that does not parse, or has no steps, fails
// alone: the others run and the reports are written. SIGINT or SIGTERM
// stops the scripts running, reports the others as skipped, and still
// writes the summary and the reports.
//
// Exit status: 0 when every script run passed; 1 when any failed or did
// not parse; 2 on a usage error, when nothing is left to run (an empty
// folder, -run, -tag or -shard selecting no script), or when the output or
// the -junit report could not be written.
//
// Flags:
//
//	-server host:port  run against an external server (scripts then run one
//	                   at a time unless -parallel is given)
//	-domain name       stream "to" domain (default: each JID's domain)
//	-tls               clients use STARTTLS (-insecure: accept any
//	                   certificate, e.g. a self-signed one)
//	-receive-wait d    external server: how long a receive waits for a
//	                   stanza that has not arrived (default 2s)
//	-step-timeout d    time limit per step (default none)
//	-timeout d         time limit per script (default 30s)
//	-run regexp        run only scripts whose path matches
//	-tag t1,t2         run only scripts with one of these tags
//	-skip-tag t1,t2    report scripts with one of these tags as skipped
//	-shard K/N         run the K-th of N shares of the scripts (CI matrix)
//	-d dir             a folder of scripts (same as giving it as PATH)
//	-list              list the selected scripts, their title and tags
//	-v                 stream every step, stanza and step duration
//	-parallel N        scripts at once, each with its own server
//	                   (default GOMAXPROCS; 1 with -server)
//	-json              print a go test -json event stream
//	-junit file        also write a JUnit XML report (Jenkins junit-10.xsd)
//	-strict            fail on any stanza a script does not expect
//	-version           print the version and exit
//
// See package script for the language and the receive semantics.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

func main() {
	tuneGC()
	os.Exit(subcommand(os.Args[1:], os.Stdout, os.Stderr))
}

// gcPercent is muctest's garbage collection target (GOGC) unless the
// environment sets one. A run is short and its live heap a few MiB (the
// parsed scripts, one small server per running script), so the default of
// 100 collects every few scripts; at 400 the collector's share of the CPU
// time (a tenth of it at 100) is a quarter, for a few MiB more heap.
const gcPercent = 400

func tuneGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(gcPercent)
	}
}

// Exit statuses.
const (
	exitPass  = 0 // every script run passed
	exitFail  = 1 // a script failed or did not parse
	exitUsage = 2 // bad flags, nothing to run, or a report not written
)

type config struct {
	server      string
	domain      string
	runRe       *regexp.Regexp
	tags        []string
	skipTags    []string
	shard       shard
	verbose     bool
	parallel    int
	timeout     time.Duration
	stepTimeout time.Duration
	receiveWait time.Duration
	tls         bool
	insecure    bool
	json        bool
	junit       string
	strict      bool
	list        bool
}

// listFlag is a flag.Value collecting comma-separated words over repeated
// uses: -tag a,b -tag c is a, b and c.
type listFlag struct{ words *[]string }

func (l listFlag) String() string {
	if l.words == nil {
		return ""
	}
	return strings.Join(*l.words, ",")
}

func (l listFlag) Set(s string) error {
	for _, w := range strings.Split(s, ",") {
		if w = strings.TrimSpace(w); w != "" {
			*l.words = append(*l.words, w)
		}
	}
	return nil
}

// pathsFlag collects -d folders.
type pathsFlag struct{ paths *[]string }

func (p pathsFlag) String() string {
	if p.paths == nil {
		return ""
	}
	return strings.Join(*p.paths, " ")
}

func (p pathsFlag) Set(s string) error { *p.paths = append(*p.paths, s); return nil }

func run(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("muctest", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var cfg config
	var runExpr, shardSpec string
	var dirs []string
	var version bool
	fl.StringVar(&cfg.server, "server", "", "run against the external server at `host:port` instead of an in-process one")
	fl.StringVar(&cfg.domain, "domain", "", "stream `domain` (default: each client JID's domain)")
	fl.BoolVar(&cfg.tls, "tls", false, "clients use STARTTLS (fail if the server does not offer it)")
	fl.BoolVar(&cfg.insecure, "insecure", false, "with -tls, accept any server certificate (a self-signed one)")
	fl.DurationVar(&cfg.receiveWait, "receive-wait", 0, "external server: how long a receive waits for a stanza that has not arrived (default 2s)")
	fl.DurationVar(&cfg.stepTimeout, "step-timeout", 0, "time limit per step (default none)")
	fl.DurationVar(&cfg.timeout, "timeout", 30*time.Second, "time limit per script")
	fl.StringVar(&runExpr, "run", "", "run only scripts whose path matches `regexp`")
	fl.Var(listFlag{&cfg.tags}, "tag", "run only scripts with one of these `tags` (comma-separated)")
	fl.Var(listFlag{&cfg.skipTags}, "skip-tag", "report scripts with one of these `tags` as skipped")
	fl.StringVar(&shardSpec, "shard", "", "run share `K/N` of the scripts (1 <= K <= N), split by path")
	fl.Var(pathsFlag{&dirs}, "d", "a `folder` of scripts (the same as giving it as PATH; repeatable)")
	fl.BoolVar(&cfg.list, "list", false, "list the selected scripts with their title and tags, run nothing")
	fl.BoolVar(&cfg.verbose, "v", false, "stream every step, stanza and step duration")
	fl.IntVar(&cfg.parallel, "parallel", 0, "run `N` scripts at once, each with its own server (default GOMAXPROCS, 1 with -server)")
	fl.BoolVar(&cfg.json, "json", false, "print a go test -json event stream (the summary goes to stderr)")
	fl.StringVar(&cfg.junit, "junit", "", "write a JUnit XML report to `file`")
	fl.BoolVar(&cfg.strict, "strict", false, "fail on any stanza a script does not expect")
	fl.BoolVar(&version, "version", false, "print the version and exit")
	fl.Usage = func() {
		fmt.Fprintf(stderr, "usage: muctest [flags] PATH...\n\nRuns scansion .scs scripts (files, or folders searched recursively).\n"+
			"Exit status: 0 all passed, 1 a script failed or did not parse, 2 usage error, nothing to run or a report not written.\n\n")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return exitUsage
	}
	if version {
		fmt.Fprintln(stdout, versionString())
		return exitPass
	}
	paths := append(fl.Args(), dirs...)
	if len(paths) == 0 {
		fl.Usage()
		return exitUsage
	}
	if runExpr != "" {
		re, err := regexp.Compile(runExpr)
		if err != nil {
			fmt.Fprintf(stderr, "muctest: -run: %v\n", err)
			return exitUsage
		}
		cfg.runRe = re
	}
	if shardSpec != "" {
		sh, err := parseShard(shardSpec)
		if err != nil {
			fmt.Fprintf(stderr, "muctest: -shard: %v\n", err)
			return exitUsage
		}
		cfg.shard = sh
	}
	if cfg.insecure && !cfg.tls {
		fmt.Fprintln(stderr, "muctest: -insecure needs -tls")
		return exitUsage
	}
	if cfg.parallel <= 0 {
		cfg.parallel = runtime.GOMAXPROCS(0)
		if cfg.server != "" {
			// Scripts share JIDs and room names: on one server they
			// must not overlap.
			cfg.parallel = 1
		}
	}
	files, err := collect(paths)
	if err != nil {
		fmt.Fprintf(stderr, "muctest: %v\n", err)
		return exitUsage
	}
	jobs, err := selectJobs(files, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "muctest: %v\n", err)
		return exitUsage
	}
	if cfg.list {
		return list(stdout, stderr, jobs)
	}
	return execute(jobs, cfg, stdout, stderr)
}

// parseShard reads -shard K/N.
func parseShard(s string) (shard, error) {
	ks, ns, ok := strings.Cut(s, "/")
	k, kerr := strconv.Atoi(ks)
	n, nerr := strconv.Atoi(ns)
	if !ok || kerr != nil || nerr != nil {
		return shard{}, fmt.Errorf("%q: want K/N, e.g. 1/4", s)
	}
	if n < 1 || k < 1 || k > n {
		return shard{}, fmt.Errorf("%q: want 1 <= K <= N", s)
	}
	return shard{k: k, n: n}, nil
}

// versionString names the build: the module version (a tag when
// installed with go install module@version), the VCS revision when built
// from a checkout, and the Go version.
func versionString() string {
	v, rev, modified := "(devel)", "", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	out := "muctest " + v
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		out += " " + rev
		if modified {
			out += "+modified"
		}
	}
	return out + " " + runtime.Version()
}

// errWriter remembers the first error writing to w, so that a closed
// stdout makes the run exit non-zero instead of passing silently.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	if err != nil {
		e.err = err
	}
	return n, err
}

var errNothing = errors.New("nothing to run")
