// Command mucattack is an attack battery against a running mucd: it starts
// mucd with its default flags (or targets one given with -addr and -pid),
// keeps a witness client logged in, in a process of its own, that
// round-trips an XEP-0199 ping or a message to itself every 20 ms, runs
// each attack in turn for a bounded
// time, and prints a table: was the server alive afterwards, the witness's
// worst and 99th-percentile round trip and its failures, and the server's
// RSS before, at its peak and after. An attack passes when the server is
// alive, every witness round trip took under 1 s and none failed, RSS
// grew by less than 300 MB (issue 11's acceptance criteria), and any other
// party the attack watches (the real component of component-handshake-flood)
// kept its service.
//
//	go run ./cmd/mucattack                         # build and start mucd with defaults, every attack
//	go run ./cmd/mucattack -run 'muc|sm' -dur 5s   # only attacks whose name matches
//	go run ./cmd/mucattack -mucd-flags '-http 127.0.0.1:5380'  # also the WebSocket and BOSH attacks
//	go run ./cmd/mucattack -run component -mucd-flags '-component echo.localhost:s3cret -component-port 5392'  # the component port too
//	go run ./cmd/mucattack -addr 127.0.0.1:5222 -pid 1234      # against a mucd already running
//	go run ./cmd/mucattack -mucd-bin /tmp/mucd-main -ab /tmp/mucd-new  # two builds, interleaved per attack
//
// Everything stays on loopback: attacks that model many clients bind their
// sockets to distinct source addresses in 127.0.0.0/8, so per-IP limits see
// many IPs, as an attacker with a botnet would look.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "mucattack:", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	addr      string
	pid       int
	domain    string
	mucdFlags string
	httpAddr  string
	// comp is the first -component of -mucd-flags (domain, secret) and
	// the -component-port, for the component attacks.
	comp     compFlags
	dur      time.Duration
	cooldown time.Duration
	run      *regexp.Regexp
	list     bool
	rssLimit int64
	verbose  bool
	mucdLog  string
	fresh    bool
	mucdBin  string
	abBin    string
	pprof    bool
	profDir  string
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("mucattack", flag.ContinueOnError)
	var o options
	var runRE string
	fs.StringVar(&o.addr, "addr", "", "attack the mucd at this address instead of building and starting one with default flags")
	fs.IntVar(&o.pid, "pid", 0, "with -addr: the mucd's process id, for its RSS (0: RSS not measured)")
	fs.StringVar(&o.domain, "domain", "localhost", "the server's XMPP domain")
	fs.StringVar(&o.mucdFlags, "mucd-flags", "", "extra flags for the mucd this command starts (space-separated), e.g. '-http 127.0.0.1:5380'")
	fs.StringVar(&o.httpAddr, "http", "", "the mucd's -http address, for the WebSocket and BOSH attacks (taken from -mucd-flags when it has -http)")
	fs.DurationVar(&o.dur, "dur", 8*time.Second, "how long each attack runs")
	fs.DurationVar(&o.cooldown, "cooldown", 3*time.Second, "wait after each attack before measuring RSS and liveness")
	fs.StringVar(&runRE, "run", "", "only attacks whose name matches this regular expression")
	fs.BoolVar(&o.list, "list", false, "list the attacks and exit")
	fs.Int64Var(&o.rssLimit, "rss-limit", 1536, "stop an attack early when the server's RSS passes this many MB")
	fs.BoolVar(&o.verbose, "v", false, "log each attack's progress")
	fs.StringVar(&o.mucdLog, "mucd-log", "", "file for the started mucd's log (default: discarded)")
	fs.StringVar(&o.mucdBin, "mucd-bin", "", "start this mucd binary instead of building ./cmd/mucd (for A/B runs of two builds; with -pprof it must have the mucattack_pprof tag)")
	fs.StringVar(&o.abBin, "ab", "", "with -mucd-bin: run every attack also against this second mucd binary, each run on a fresh mucd, the two one after the other in alternating order (rows marked A for -mucd-bin, B for this), for A/B comparisons on a shared machine")
	fs.BoolVar(&o.fresh, "fresh", false, "start a fresh mucd before each attack (default: one server for the whole battery, so state from earlier attacks stays)")
	fs.BoolVar(&o.pprof, "pprof", false, "build mucd with the mucattack_pprof tag and read its live heap after each attack (a column of the table)")
	fs.StringVar(&o.profDir, "profile-dir", "", "with -pprof: write each attack's CPU profile and its heap profile at the attack's end here")
	fs.BoolVar(&witnessInProcess, "witness-in-process", false, "run the witness in this process, among the attacks' goroutines, rather than in a process of its own")
	child := fs.Bool("witness-child", false, "be the witness process (started by this command) for -addr, reporting round trips on standard output until standard input ends")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *child {
		return runWitnessChild(ctx, o.addr, o.domain, os.Stdin, out)
	}
	re, err := regexp.Compile(runRE)
	if err != nil {
		return fmt.Errorf("-run: %w", err)
	}
	o.run = re
	var sel []attack
	for _, a := range attacks() {
		if o.run.MatchString(a.name) {
			sel = append(sel, a)
		}
	}
	if o.list {
		for _, a := range sel {
			fmt.Fprintf(out, "%-28s %s\n", a.name, a.what)
		}
		return nil
	}
	if o.profDir != "" {
		o.pprof = true
		if err := os.MkdirAll(o.profDir, 0o755); err != nil {
			return err
		}
	}
	if o.pprof && o.addr != "" {
		return errors.New("-pprof needs the mucd started here (no -addr)")
	}
	if len(sel) == 0 {
		return errors.New("no attack matches -run")
	}
	if o.abBin != "" {
		if o.mucdBin == "" || o.addr != "" {
			return errors.New("-ab needs -mucd-bin (and no -addr)")
		}
		o.fresh = true
	}
	raiseNoFile()
	b, err := newBattery(ctx, o, out)
	if err != nil {
		return err
	}
	defer b.close()
	if o.abBin != "" {
		return b.runAB(ctx, sel)
	}
	return b.runAll(ctx, sel)
}
