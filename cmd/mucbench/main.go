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
// includes the clients). -cpuprofile profiles that server.
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
	"github.com/muctest/muctest/server"
)

// report is the JSON form of a run (-json), read by bench/compare.sh.
type report struct {
	Label  string `json:"label"`
	Server string `json:"server"`
	*fanout.Result
	Cores int `json:"cores"`
	// RSSBase is the server's RSS before any client logged in, RSSJoined
	// with every occupant joined, RSSAfter after the messages.
	RSSBase, RSSJoined, RSSAfter int64 `json:",omitempty"`
	// BytesPerOccupant is (RSSJoined - RSSBase) / Occupants.
	BytesPerOccupant int64 `json:",omitempty"`
	// ServerCPU is the server's CPU time during the measured phase.
	ServerCPU time.Duration `json:",omitempty"`
	OK        bool
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "mucbench:", err)
		os.Exit(1)
	}
}

func run() error {
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
		pid        = flag.Int("pid", 0, "process id of the -server, to report its RSS and CPU from /proc")
		label      = flag.String("label", "", "name of the server in the output")
		asJSON     = flag.Bool("json", false, "print one JSON object instead of text")
		inProcess  = flag.Bool("inprocess", false, "without -server: run muctest's server inside this process")
		cpuProfile = flag.String("cpuprofile", "", "without -server: write a CPU profile of muctest's server to `file`")
		memProfile = flag.String("memprofile", "", "without -server: write a heap profile of muctest's server to `file` after the run")
		serve      = flag.Bool("serve", false, "internal: serve muctest on 127.0.0.1:0, print the address, stop at EOF on stdin")
	)
	flag.Parse()
	if *serve {
		return serveChild(*cpuProfile, *memProfile)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	rep := report{Label: *label, Cores: runtime.NumCPU()}
	sample := func() (fanout.ProcSample, bool) { return fanout.ProcSample{}, false }
	if *addr == "" {
		var closeServer func() error
		var err error
		if *inProcess {
			*addr, sample, closeServer, err = startInProcess(*cpuProfile, *memProfile)
		} else {
			*addr, *pid, closeServer, err = startChild(*cpuProfile, *memProfile)
		}
		if err != nil {
			return err
		}
		defer func() {
			if err := closeServer(); err != nil {
				fmt.Fprintln(os.Stderr, "mucbench: stopping the server:", err)
			}
		}()
		if rep.Label == "" {
			rep.Label = "muctest"
		}
	}
	if *pid > 0 {
		p := *pid
		sample = func() (fanout.ProcSample, bool) {
			s, err := fanout.ReadProc(p)
			if err != nil {
				fmt.Fprintln(os.Stderr, "mucbench:", err)
				return s, false
			}
			return s, true
		}
	}
	if rep.Label == "" {
		rep.Label = *addr
	}
	rep.Server = *addr

	base, haveProc := sample()
	b, err := fanout.Setup(ctx, fanout.Config{
		Addr: *addr, Domain: *domain, MUCDomain: *mucDomain,
		Rooms: *rooms, Occupants: *occupants, Messages: *messages,
		Password: *password, Rate: *rate, Timeout: *timeout,
	})
	if err != nil {
		return err
	}
	defer b.Close()
	joined, _ := sample()
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
		rep.ServerCPU = after.CPU - joined.CPU
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		if err := enc.Encode(rep); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	} else {
		printText(os.Stdout, &rep, haveProc)
	}
	if runErr != nil {
		return runErr
	}
	if !rep.OK {
		return errors.New("deliveries were lost, duplicated, out of order or errors were seen")
	}
	return nil
}

func printText(w io.Writer, r *report, haveProc bool) {
	fmt.Fprintf(w, "server      %s (%s), %d cores\n", r.Label, r.Server, r.Cores)
	fmt.Fprintf(w, "load        %d occupants in %d rooms, %d messages each; setup %v\n",
		r.Occupants, r.Rooms, r.Messages, r.Setup.Round(time.Millisecond))
	fmt.Fprintf(w, "delivered   %d of %d in %v: %.0f stanzas/s\n",
		r.Delivered, r.Expected, r.Elapsed.Round(time.Millisecond), r.PerSecond)
	fmt.Fprintf(w, "latency     p50 %v  p99 %v  max %v\n",
		r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond), r.Max.Round(time.Microsecond))
	fmt.Fprintf(w, "faults      lost %d  duplicated %d  out-of-order %d  errors %d  timed-out %v\n",
		r.Lost, r.Duplicated, r.OutOfOrder, r.Errors, r.TimedOut)
	if haveProc {
		fmt.Fprintf(w, "memory      RSS %.1f MiB idle, %.1f MiB joined, %.1f MiB after: %.1f KiB per occupant\n",
			mib(r.RSSBase), mib(r.RSSJoined), mib(r.RSSAfter), float64(r.BytesPerOccupant)/1024)
		fmt.Fprintf(w, "server cpu  %v during the measured phase\n", r.ServerCPU.Round(time.Millisecond))
	}
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// newServer is muctest's server as mucbench runs it: test-mode
// authentication, no TLS, no logging.
func newServer() (*server.Server, net.Listener, error) {
	srv, err := server.New(server.Config{AnyPassword: true, NoTLS: true})
	if err != nil {
		return nil, nil, fmt.Errorf("start server: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, fmt.Errorf("listen: %w", err)
	}
	return srv, ln, nil
}

// serveChild is the -serve mode: the server in a process of its own.
func serveChild(cpuProfile, memProfile string) error {
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
	fmt.Println(ln.Addr().String())
	_, _ = io.Copy(io.Discard, os.Stdin) // the parent closes stdin to stop us
	stopProfile()
	if err := writeHeapProfile(memProfile); err != nil {
		return err
	}
	if err := srv.Close(); err != nil {
		return fmt.Errorf("close server: %w", err)
	}
	return <-done
}

// startChild runs mucbench -serve and returns the server's address, pid
// and a function that stops it.
func startChild(cpuProfile, memProfile string) (string, int, func() error, error) {
	self, err := os.Executable()
	if err != nil {
		return "", 0, nil, fmt.Errorf("find own executable: %w", err)
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
		return "", 0, nil, fmt.Errorf("server pipe: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", 0, nil, fmt.Errorf("server pipe: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return "", 0, nil, fmt.Errorf("start server process: %w", err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return "", 0, nil, fmt.Errorf("server process did not report its address: %w", err)
	}
	stop := func() error {
		stdin.Close()
		if err := cmd.Wait(); err != nil {
			return fmt.Errorf("server process: %w", err)
		}
		return nil
	}
	return strings.TrimSpace(line), cmd.Process.Pid, stop, nil
}

// startInProcess runs the server inside mucbench; memory samples come from
// the Go runtime (heap and stacks in use), which also counts the clients.
func startInProcess(cpuProfile, memProfile string) (string, func() (fanout.ProcSample, bool), func() error, error) {
	srv, ln, err := newServer()
	if err != nil {
		return "", nil, nil, err
	}
	stopProfile, err := startCPUProfile(cpuProfile)
	if err != nil {
		return "", nil, nil, err
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	sample := func() (fanout.ProcSample, bool) {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		s, _ := fanout.ReadProc(os.Getpid())
		s.RSS = int64(m.HeapInuse + m.StackInuse)
		return s, true
	}
	stop := func() error {
		stopProfile()
		if err := writeHeapProfile(memProfile); err != nil {
			return err
		}
		if err := srv.Close(); err != nil {
			return fmt.Errorf("close server: %w", err)
		}
		return <-done
	}
	return ln.Addr().String(), sample, stop, nil
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
