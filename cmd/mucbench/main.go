// Command mucbench measures MUC groupchat fan-out on an XMPP server: it logs
// N real clients in over TCP (SASL PLAIN), joins them to R rooms, has each
// send M numbered groupchat messages, and reports delivered stanzas per
// second, p50/p99 delivery latency, lost/duplicated/out-of-order messages
// (which must all be zero) and the server's memory per occupant.
//
//	mucbench -server 127.0.0.1:5331 -pid $(cat prosody.pid) -rooms 1 -occupants 100 -messages 20
//	mucbench -rooms 5 -occupants 100 -messages 20          # our server, started by mucbench
//
// Without -server, mucbench starts muctest's server itself, in a child
// process (mucbench re-executed with -serve) so that its memory and CPU are
// measured from /proc exactly like an external server's; -inprocess runs it
// inside mucbench instead (memory then comes from runtime.MemStats and
// includes the clients). -cpuprofile profiles that server. -serve-bin runs
// the child from another mucbench binary, one built from another commit,
// so that two servers are compared under the same load client.
//
// Everything runs on loopback; the run is bounded by -timeout and by
// fanout.MaxDeliveries.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/muctest/muctest/bench/fanout"
	"github.com/muctest/muctest/muc"
	"github.com/muctest/muctest/quota"
	"github.com/muctest/muctest/server"
)

// report is the JSON form of a run (-json), read by bench/compare.sh.
type report struct {
	Label  string `json:"label"`
	Server string `json:"server"`
	// Transport is "tcp" or "websocket" (-ws).
	Transport string `json:"transport"`
	// Kind is "muc" (groupchat fan-out) or "pep" (-pep: notifications
	// of one publisher's items to its contacts; Occupants are the
	// contacts, Messages the items, Rooms 0).
	Kind string `json:"kind"`
	*fanout.Result
	Cores int `json:"cores"`
	// RSSBase is the server's RSS before any client logged in, RSSJoined
	// with every occupant joined, RSSAfter after the messages.
	RSSBase, RSSJoined, RSSAfter int64 `json:",omitempty"`
	// BytesPerOccupant is (RSSJoined - RSSBase) / Occupants.
	BytesPerOccupant int64 `json:",omitempty"`
	// RSSRest is the RSS after -settle with every occupant joined and no
	// traffic, when the server has had time to give back what the joins
	// needed only for a moment; BytesPerOccupantRest is its
	// (RSSRest - RSSBase) / Occupants.
	RSSRest, BytesPerOccupantRest int64 `json:",omitempty"`
	// ServerCPU is the server's CPU time during the measured phase.
	ServerCPU time.Duration `json:",omitempty"`
	// For muctest's own server only: live Go memory (heap in use plus
	// goroutine stacks, after a GC) idle and with every occupant joined,
	// the difference per occupant, and goroutines per occupant. Unlike
	// RSS it leaves out the garbage the collector has not yet returned.
	// LiveStacks is the stack part of LiveJoined.
	LiveBase, LiveJoined, LivePerOccupant, LiveStacks int64   `json:",omitempty"`
	GoroutinesPerOccupant                             float64 `json:",omitempty"`
	OK                                                bool
}

func main() {
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "mucbench:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	flag := flag.NewFlagSet("mucbench", flag.ContinueOnError)
	flag.SetOutput(stderr)
	var (
		addr       = flag.String("server", "", "`host:port` of the server to measure; empty starts muctest's own")
		domain     = flag.String("domain", "localhost", "the server's XMPP domain")
		mucDomain  = flag.String("muc", "", "the MUC service's domain (default conference.<domain>)")
		rooms      = flag.Int("rooms", 1, "number of rooms")
		occupants  = flag.Int("occupants", 100, "number of clients, spread evenly over the rooms")
		messages   = flag.Int("messages", 20, "groupchat messages each occupant sends")
		password   = flag.String("password", "password", "password for every client (servers in test mode accept any)")
		rate       = flag.Float64("rate", 0, "total send rate in messages/s; 0 = as fast as possible")
		timeout    = flag.Duration("timeout", 60*time.Second, "bound on each setup step and on the measured phase")
		settle     = flag.Duration("settle", 3*time.Second, "idle time after the joins before the at-rest RSS is read (0: not read)")
		pid        = flag.Int("pid", 0, "process id of the -server, to report its RSS and CPU from /proc")
		label      = flag.String("label", "", "name of the server in the output")
		asJSON     = flag.Bool("json", false, "print one JSON object instead of text")
		inProcess  = flag.Bool("inprocess", false, "without -server: run muctest's server inside this process")
		cpuProfile = flag.String("cpuprofile", "", "without -server: write a CPU profile of muctest's server to `file`")
		memProfile = flag.String("memprofile", "", "without -server: write a heap profile of muctest's server to `file` after the run")
		overWS     = flag.Bool("ws", false, "connect the clients over XMPP over WebSocket (RFC 7395) instead of TCP")
		wsURL      = flag.String("ws-url", "", "with -ws: the server's WebSocket `URL` (default: muctest's own endpoint; needed with -server)")
		pep        = flag.Bool("pep", false, "PEP (XEP-0163) instead of MUC: one publisher, -occupants contacts subscribed both ways with caps +notify, -messages items published (-rate: publishes/s)")
		window     = flag.Int("window", 1, "with -pep: publishes awaiting their result at a time")
		serve      = flag.Bool("serve", false, "internal: serve muctest on 127.0.0.1:0, print the address, stop at EOF on stdin")
		serveBin   = flag.String("serve-bin", "", "without -server: run the server child from this mucbench `binary` (one built from another commit) instead of this one, so that two servers are measured by the same load client")
	)
	var roomConfig []fanout.Field
	flag.Func("roomconfig", "`var=value` of the room configuration form the creator submits (repeatable), e.g. muc#roomconfig_enablearchiving=0; none makes an instant room", func(v string) error {
		name, value, ok := strings.Cut(v, "=")
		if !ok || name == "" {
			return errors.New("want var=value")
		}
		roomConfig = append(roomConfig, fanout.Field{Var: name, Value: value})
		return nil
	})
	if err := flag.Parse(args); err != nil {
		return err
	}
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", flag.Args())
	}
	if *serve {
		return serveChild(*cpuProfile, *memProfile)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	rep := report{Label: *label, Cores: runtime.NumCPU()}
	var own *ownServer
	if *addr == "" {
		var err error
		if *inProcess {
			own, err = startInProcess(*cpuProfile, *memProfile)
		} else {
			own, err = startChild(*serveBin, *cpuProfile, *memProfile)
		}
		if err != nil {
			return err
		}
		defer func() {
			if err := own.stop(); err != nil {
				fmt.Fprintln(stderr, "mucbench: stopping the server:", err)
			}
		}()
		*addr = own.addr
		if own.pid > 0 {
			*pid = own.pid
		}
		if rep.Label == "" {
			rep.Label = "muctest"
		}
	}
	sample := func() (fanout.ProcSample, bool) { return fanout.ProcSample{}, false }
	switch {
	case *pid > 0:
		p := *pid
		sample = func() (fanout.ProcSample, bool) {
			s, err := fanout.ReadProc(p)
			if err != nil {
				fmt.Fprintln(stderr, "mucbench:", err)
				return s, false
			}
			return s, true
		}
	}
	// In-process there is no RSS or CPU time of the server alone; the live
	// Go memory below (which then counts the clients too) is all there is.
	liveStats := func() (goStats, bool) {
		if own == nil {
			return goStats{}, false
		}
		st, err := own.stats()
		if err != nil {
			fmt.Fprintln(stderr, "mucbench:", err)
			return st, false
		}
		return st, true
	}
	if rep.Label == "" {
		rep.Label = *addr
	}
	rep.Server = *addr
	rep.Transport = "tcp"
	var dialer func(context.Context) (net.Conn, error)
	if *overWS {
		if *wsURL == "" && own != nil {
			*wsURL = own.wsURL
		}
		if *wsURL == "" {
			return errors.New("-ws with -server needs -ws-url")
		}
		dialer = wsDialer(*wsURL)
		rep.Transport, rep.Server = "websocket", *wsURL
	}

	base, haveProc := sample()
	liveBase, haveLive := liveStats()
	var b interface {
		Run(context.Context) (*fanout.Result, error)
		Close()
	}
	var err error
	if *pep {
		rep.Kind = "pep"
		b, err = fanout.SetupPEP(ctx, fanout.PEPConfig{
			Addr: *addr, Domain: *domain, Contacts: *occupants, Items: *messages,
			Password: *password, Rate: *rate, Timeout: *timeout, Dial: dialer, Window: *window,
		})
	} else {
		rep.Kind = "muc"
		b, err = fanout.Setup(ctx, fanout.Config{
			Addr: *addr, Domain: *domain, MUCDomain: *mucDomain,
			Rooms: *rooms, Occupants: *occupants, Messages: *messages,
			Password: *password, Rate: *rate, Timeout: *timeout, RoomConfig: roomConfig,
			Dial: dialer,
		})
	}
	if err != nil {
		return err
	}
	defer b.Close()
	joined, _ := sample()
	rest := joined
	if *settle > 0 {
		time.Sleep(*settle)
		rest, _ = sample()
	}
	liveJoined, _ := liveStats() // also writes -memprofile
	res, runErr := b.Run(ctx)
	after, _ := sample()
	if res == nil {
		return runErr
	}
	rep.Result = res
	rep.OK = res.OK() && runErr == nil
	if haveProc {
		rep.RSSBase, rep.RSSJoined, rep.RSSAfter = base.RSS, joined.RSS, after.RSS
		rep.BytesPerOccupant = (joined.RSS - base.RSS) / int64(*occupants)
		if *settle > 0 {
			rep.RSSRest = rest.RSS
			rep.BytesPerOccupantRest = (rest.RSS - base.RSS) / int64(*occupants)
		}
		rep.ServerCPU = after.CPU - joined.CPU
	}
	if haveLive {
		rep.LiveBase, rep.LiveJoined = liveBase.Heap+liveBase.Stack, liveJoined.Heap+liveJoined.Stack
		rep.LivePerOccupant = (rep.LiveJoined - rep.LiveBase) / int64(*occupants)
		rep.LiveStacks = liveJoined.Stack
		rep.GoroutinesPerOccupant = float64(liveJoined.Goroutines-liveBase.Goroutines) / float64(*occupants)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		if err := enc.Encode(rep); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	} else {
		printText(stdout, &rep, haveProc, haveLive)
	}
	if runErr != nil {
		return runErr
	}
	if !rep.OK {
		return errors.New("deliveries were lost, duplicated, out of order or errors were seen")
	}
	return nil
}

func printText(w io.Writer, r *report, haveProc, haveLive bool) {
	fmt.Fprintf(w, "server      %s (%s over %s), %d cores\n", r.Label, r.Server, r.Transport, r.Cores)
	if r.Kind == "pep" {
		fmt.Fprintf(w, "load        PEP: 1 publisher, %d contacts, %d items published; setup %v\n",
			r.Occupants, r.Messages, r.Setup.Round(time.Millisecond))
	} else {
		fmt.Fprintf(w, "load        %d occupants in %d rooms, %d messages each; setup %v\n",
			r.Occupants, r.Rooms, r.Messages, r.Setup.Round(time.Millisecond))
	}
	fmt.Fprintf(w, "delivered   %d of %d in %v: %.0f stanzas/s\n",
		r.Delivered, r.Expected, r.Elapsed.Round(time.Millisecond), r.PerSecond)
	fmt.Fprintf(w, "latency     p50 %v  p99 %v  max %v\n",
		r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond), r.Max.Round(time.Microsecond))
	fmt.Fprintf(w, "faults      lost %d  duplicated %d  out-of-order %d  errors %d  timed-out %v\n",
		r.Lost, r.Duplicated, r.OutOfOrder, r.Errors, r.TimedOut)
	if haveProc {
		fmt.Fprintf(w, "memory      RSS %.1f MiB idle, %.1f MiB joined, %.1f MiB after: %.1f KiB per occupant\n",
			mib(r.RSSBase), mib(r.RSSJoined), mib(r.RSSAfter), float64(r.BytesPerOccupant)/1024)
		if r.RSSRest > 0 {
			fmt.Fprintf(w, "at rest     RSS %.1f MiB with every occupant joined, after the settle time: %.1f KiB per occupant\n",
				mib(r.RSSRest), float64(r.BytesPerOccupantRest)/1024)
		}
		fmt.Fprintf(w, "server cpu  %v during the measured phase\n", r.ServerCPU.Round(time.Millisecond))
	}
	if haveLive {
		fmt.Fprintf(w, "go memory   live heap+stacks %.1f MiB idle, %.1f MiB joined (stacks %.1f MiB): %.1f KiB and %.1f goroutines per occupant\n",
			mib(r.LiveBase), mib(r.LiveJoined), mib(r.LiveStacks), float64(r.LivePerOccupant)/1024, r.GoroutinesPerOccupant)
	}
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// newServer is muctest's server as mucbench runs it: test-mode
// authentication, no TLS, no logging.
func newServer() (*server.Server, net.Listener, error) {
	// Memory release after bursts as cmd/mucd does by default; every
	// simulated user connects, logs in and creates rooms from loopback, so
	// no per-address caps.
	srv, err := server.New(server.Config{AnyPassword: true, NoTLS: true, ReleaseMemoryAfter: server.DefaultReleaseMemoryAfter,
		MaxConnsPerIP: -1, Quotas: quota.Limits{AccountsPerIPPerMinute: -1}, MUCLimits: muc.Limits{MaxRoomsPerIP: -1}})
	if err != nil {
		return nil, nil, fmt.Errorf("start server: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, fmt.Errorf("listen: %w", err)
	}
	return srv, ln, nil
}

// goStats is the live memory of muctest's server after a GC.
type goStats struct {
	Heap, Stack int64
	Goroutines  int
}

// readGoStats collects garbage and reads the runtime's statistics; when
// heapProfile is set it also writes a heap profile there, so that the
// profile shows the server at the moment measured (every occupant joined).
func readGoStats(heapProfile string) (goStats, error) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	st := goStats{Heap: int64(m.HeapInuse), Stack: int64(m.StackInuse), Goroutines: runtime.NumGoroutine()}
	return st, writeHeapProfile(heapProfile)
}

// ownServer is muctest's server as started by mucbench, in a child process
// (pid > 0) or in-process.
type ownServer struct {
	addr  string
	wsURL string // its WebSocket endpoint
	pid   int
	stats func() (goStats, error)
	stop  func() error
}

// serveChild is the -serve mode: the server in a process of its own. It
// prints its address, answers each "stats" line on stdin with a goStats
// JSON line, and stops at EOF.
func serveChild(cpuProfile, memProfile string) error {
	if memProfile != "" {
		runtime.MemProfileRate = 1 // every allocation: the profile is of a few MiB
	}
	srv, ln, err := newServer()
	if err != nil {
		return err
	}
	stopProfile, err := startCPUProfile(cpuProfile)
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	wsURL, stopWeb, err := startWeb(srv)
	if err != nil {
		return err
	}
	defer stopWeb() // after srv.Close below
	fmt.Println(ln.Addr().String(), wsURL)
	in := bufio.NewScanner(os.Stdin)
	enc := json.NewEncoder(os.Stdout)
	for in.Scan() {
		if in.Text() != "stats" {
			continue
		}
		st, err := readGoStats(memProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "mucbench -serve:", err)
		}
		if err := enc.Encode(st); err != nil {
			break
		}
	}
	stopProfile()
	if err := srv.Close(); err != nil {
		return fmt.Errorf("close server: %w", err)
	}
	return <-done
}

// startChild runs mucbench -serve: bin's, or this executable's when bin is
// empty.
func startChild(bin, cpuProfile, memProfile string) (*ownServer, error) {
	self := bin
	if self == "" {
		var err error
		if self, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("find own executable: %w", err)
		}
	}
	args := []string{"-serve"}
	if cpuProfile != "" {
		args = append(args, "-cpuprofile", cpuProfile)
	}
	if memProfile != "" {
		args = append(args, "-memprofile", memProfile)
	}
	cmd := exec.Command(self, args...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("server pipe: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("server pipe: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start server process: %w", err)
	}
	out := bufio.NewReader(stdout)
	line, err := out.ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("server process did not report its address: %w", err)
	}
	addr, wsURL := splitAddrs(line)
	return &ownServer{
		addr:  addr,
		wsURL: wsURL,
		pid:   cmd.Process.Pid,
		stats: func() (goStats, error) {
			var st goStats
			if _, err := io.WriteString(stdin, "stats\n"); err != nil {
				return st, fmt.Errorf("server stats: %w", err)
			}
			line, err := out.ReadBytes('\n')
			if err != nil {
				return st, fmt.Errorf("server stats: %w", err)
			}
			if err := json.Unmarshal(line, &st); err != nil {
				return st, fmt.Errorf("server stats: %w", err)
			}
			return st, nil
		},
		stop: func() error {
			stdin.Close()
			if err := cmd.Wait(); err != nil {
				return fmt.Errorf("server process: %w", err)
			}
			return nil
		},
	}, nil
}

// startInProcess runs the server inside mucbench; its memory statistics
// then include the clients', and no RSS or CPU time is reported.
func startInProcess(cpuProfile, memProfile string) (*ownServer, error) {
	srv, ln, err := newServer()
	if err != nil {
		return nil, err
	}
	stopProfile, err := startCPUProfile(cpuProfile)
	if err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	wsURL, stopWeb, err := startWeb(srv)
	if err != nil {
		return nil, err
	}
	return &ownServer{
		addr:  ln.Addr().String(),
		wsURL: wsURL,
		stats: func() (goStats, error) { return readGoStats(memProfile) },
		stop: func() error {
			stopProfile()
			err := srv.Close()
			stopWeb()
			if err != nil {
				return fmt.Errorf("close server: %w", err)
			}
			return <-done
		},
	}, nil
}

func startCPUProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func writeHeapProfile(path string) error {
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	defer f.Close()
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	return nil
}
