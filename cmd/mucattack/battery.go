package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// battery runs attacks one after the other against one mucd and keeps the
// witness and the RSS sampler going meanwhile.
type battery struct {
	o      options
	out    io.Writer
	addr   string
	pid    int
	cmd    *exec.Cmd // the mucd started here, nil with -addr
	bin    string
	waited chan struct{}

	pprofAddr string // with -pprof: mucd's net/http/pprof address

	wit *witness
	rss *rssSampler
}

func newBattery(ctx context.Context, o options, out io.Writer) (*battery, error) {
	b := &battery{o: o, out: out, addr: o.addr, pid: o.pid}
	if o.httpAddr == "" {
		f := strings.Fields(o.mucdFlags)
		for i, a := range f {
			if (a == "-http" || a == "--http") && i+1 < len(f) {
				b.o.httpAddr = f[i+1]
			} else if v, ok := strings.CutPrefix(a, "-http="); ok {
				b.o.httpAddr = v
			}
		}
	}
	b.o.comp = parseCompFlags(o.mucdFlags)
	if b.addr == "" {
		if o.mucdBin != "" {
			b.bin = o.mucdBin
		} else if err := b.build(ctx); err != nil {
			return nil, err
		}
		if err := b.start(ctx); err != nil {
			return nil, err
		}
	}
	b.rss = newRSSSampler(b.pid)
	w, err := newWitness(ctx, b.addr, o.domain)
	if err != nil {
		b.close()
		return nil, fmt.Errorf("witness: %w", err)
	}
	b.wit = w
	return b, nil
}

// build compiles ./cmd/mucd of the module this command runs from.
func (b *battery) build(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "mucattack")
	if err != nil {
		return err
	}
	b.bin = filepath.Join(dir, "mucd")
	args := []string{"build", "-o", b.bin}
	if b.o.pprof {
		args = append(args, "-tags", "mucattack_pprof")
	}
	c := exec.CommandContext(ctx, "go", append(args, "github.com/muctest/muctest/cmd/mucd")...)
	c.Stderr = os.Stderr
	if err := c.Run(); err != nil {
		return fmt.Errorf("go build mucd: %w", err)
	}
	return nil
}

// start runs the built mucd on a free loopback port with default flags (and
// -mucd-flags) and waits until it accepts connections.
func (b *battery) start(ctx context.Context) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	b.addr = ln.Addr().String()
	ln.Close()
	args := append([]string{"-addr", b.addr}, strings.Fields(b.o.mucdFlags)...)
	c := exec.Command(b.bin, args...)
	if b.o.pprof {
		pl, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		b.pprofAddr = pl.Addr().String()
		pl.Close()
		c.Env = append(os.Environ(), "MUCD_PPROF="+b.pprofAddr)
	}
	c.Stdout = io.Discard
	c.Stderr = io.Discard
	if b.o.mucdLog != "" {
		f, err := os.Create(b.o.mucdLog)
		if err != nil {
			return err
		}
		c.Stdout, c.Stderr = f, f
	}
	c.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := c.Start(); err != nil {
		return fmt.Errorf("start mucd: %w", err)
	}
	b.cmd = c
	b.pid = c.Process.Pid
	b.waited = make(chan struct{})
	go func() { _ = c.Wait(); close(b.waited) }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if nc, err := net.DialTimeout("tcp", b.addr, time.Second); err == nil {
			nc.Close()
			fmt.Fprintf(b.out, "mucd pid %d on %s %s\n", b.pid, b.addr, b.o.mucdFlags)
			return nil
		}
		select {
		case <-b.waited:
			return errors.New("mucd exited at start")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return errors.New("mucd did not start listening in 30 s")
}

// restart replaces a dead mucd (after an attack killed it) so that the
// battery goes on.
func (b *battery) restart(ctx context.Context) error {
	if b.cmd == nil {
		return errors.New("the mucd under attack is dead or to be fresh (not started here: cannot restart it)")
	}
	b.stopServer()
	if err := b.start(ctx); err != nil {
		return err
	}
	b.rss.setPID(b.pid)
	w, err := newWitness(ctx, b.addr, b.o.domain)
	if err != nil {
		return fmt.Errorf("witness: %w", err)
	}
	b.wit.close()
	b.wit = w
	return nil
}

func (b *battery) stopServer() {
	if b.cmd == nil {
		return
	}
	_ = b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-b.waited:
	case <-time.After(10 * time.Second):
		_ = b.cmd.Process.Kill()
		<-b.waited
	}
}

func (b *battery) close() {
	if b.wit != nil {
		b.wit.close()
	}
	if b.rss != nil {
		b.rss.close()
	}
	b.stopServer()
	if b.bin != "" && b.o.mucdBin == "" {
		os.RemoveAll(filepath.Dir(b.bin))
	}
}

// processAlive says whether the started mucd is still running (always true
// for one given with -addr: liveness is then only the login check).
func (b *battery) processAlive() bool {
	if b.cmd == nil {
		return true
	}
	select {
	case <-b.waited:
		return false
	default:
		return true
	}
}

// result is one row of the table.
type result struct {
	name         string
	alive        bool
	aliveNote    string
	wit          witnessStats
	before, peak int64 // bytes of RSS
	after, hwm   int64
	heap         int64 // live heap after the cooldown (with -pprof), -1 unknown
	// cpu and wait are the server's threads' time on a CPU and waiting
	// for one (runnable, on the run queue: the machine's load) over the
	// attack, from /proc/PID/task/*/schedstat; selfCPU is this process's.
	cpu, wait, selfCPU time.Duration
	stoppedEarly       bool
	lost               string // env.lose: a watched service besides the witness's failed
	note               string
}

func (r result) pass() bool {
	return r.alive && r.lost == "" && r.wit.failures == 0 && r.wit.max < time.Second && r.peak-r.before < 300<<20
}

func (b *battery) runAll(ctx context.Context, sel []attack) error {
	var rows []result
	fmt.Fprintf(b.out, "%d attacks, %v each, %v cooldown\n", len(sel), b.o.dur, b.o.cooldown)
	fmt.Fprintln(b.out, header())
	for _, a := range sel {
		if ctx.Err() != nil {
			break
		}
		if b.o.fresh && len(rows) > 0 {
			if err := b.restart(ctx); err != nil {
				return fmt.Errorf("before %s: %w", a.name, err)
			}
		}
		r := b.runOne(ctx, a)
		rows = append(rows, r)
		fmt.Fprintln(b.out, r.row())
		if !r.alive && !b.o.fresh && ctx.Err() == nil {
			if err := b.restart(ctx); err != nil {
				return fmt.Errorf("after %s: %w", a.name, err)
			}
		}
	}
	pass := 0
	for _, r := range rows {
		if r.pass() {
			pass++
		}
	}
	fmt.Fprintf(b.out, "\n%d passed, %d failed\n", pass, len(rows)-pass)
	return nil
}

func (b *battery) runOne(ctx context.Context, a attack) result {
	r := result{name: a.name}
	b.rss.clearPeak()
	r.before = b.rss.current()
	b.wit.reset()
	actx, cancel := context.WithTimeout(ctx, b.o.dur)
	stopRSS := b.rss.watch(b.o.rssLimit<<20, cancel)
	e := newEnv(actx, b, a.name)
	cpuDone := b.cpuProfile(a.name)
	cpu0, wait0 := schedstat(b.pid)
	self0, _ := schedstat(os.Getpid())
	heapDone := b.heapProfile(a.name)
	note, err := a.run(e)
	r.lost = e.lostService()
	<-heapDone
	e.closeAll()
	cancel()
	r.stoppedEarly = stopRSS()
	if err != nil {
		note = strings.TrimSpace(note + " error: " + err.Error())
	}
	if ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-time.After(b.o.cooldown):
		}
	}
	cpuDone()
	cpu1, wait1 := schedstat(b.pid)
	self1, _ := schedstat(os.Getpid())
	r.cpu, r.wait, r.selfCPU = cpu1-cpu0, wait1-wait0, self1-self0
	r.alive, r.aliveNote = b.checkAlive(ctx)
	r.heap = b.liveHeap()
	r.wit = b.wit.stats()
	r.peak = b.rss.peak()
	r.after = b.rss.current()
	r.hwm = b.rss.hwm()
	if r.hwm > r.peak {
		r.peak = r.hwm
	}
	if r.stoppedEarly {
		note = strings.TrimSpace(note + fmt.Sprintf(" stopped early: RSS passed %d MB", b.o.rssLimit))
	}
	if r.wit.failures > 0 {
		note = strings.TrimSpace(note + " witness: " + firstLine(r.wit.lastError, 80))
	}
	if r.lost != "" {
		note = strings.TrimSpace(note + " LOST: " + r.lost)
	}
	if r.aliveNote != "" {
		note = strings.TrimSpace(note + " " + r.aliveNote)
	}
	r.note = note
	if b.o.verbose {
		fmt.Fprintf(os.Stderr, "%s: %s\n", a.name, e.summary())
	}
	return r
}

// checkAlive says whether the process runs and a fresh client logs in and
// gets a ping answered within 5 s, from an address no attack uses.
func (b *battery) checkAlive(ctx context.Context) (bool, string) {
	if !b.processAlive() {
		return false, "mucd exited"
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := probeLogin(cctx, b.addr, b.o.domain); err != nil {
		return false, "fresh login failed: " + err.Error()
	}
	return true, ""
}

func header() string {
	return fmt.Sprintf("%-28s %-5s %8s %8s %5s %7s %7s %7s %7s %-4s %5s %5s %5s  %s",
		"attack", "alive", "wit max", "wit p99", "fails", "rss0 MB", "peak MB", "after", "heap", "ok", "cpu", "wait", "self", "note")
}

func (r result) row() string {
	ok := "PASS"
	if !r.pass() {
		ok = "FAIL"
	}
	alive := "yes"
	if !r.alive {
		alive = "NO"
	}
	heap := "-"
	if r.heap >= 0 {
		heap = strconv.FormatInt(r.heap>>20, 10)
	}
	return fmt.Sprintf("%-28s %-5s %8s %8s %5d %7d %7d %7d %7s %-4s %5.1f %5.1f %5.1f  %s",
		r.name, alive, round(r.wit.max), round(r.wit.p99), r.wit.failures, r.before>>20, r.peak>>20, r.after>>20, heap, ok,
		r.cpu.Seconds(), r.wait.Seconds(), r.selfCPU.Seconds(), r.note)
}

func round(d time.Duration) string {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond).String()
	}
	return d.Round(time.Microsecond).String()
}

// rssSampler reads the server's VmRSS every 20 ms, keeping the peak.
type rssSampler struct {
	mu      sync.Mutex
	pid     int
	max     int64
	last    int64
	stop    chan struct{}
	done    chan struct{}
	limit   int64
	onLimit func()
	hit     bool
}

func newRSSSampler(pid int) *rssSampler {
	s := &rssSampler{pid: pid, stop: make(chan struct{}), done: make(chan struct{})}
	go s.loop()
	return s
}

func (s *rssSampler) setPID(pid int) {
	s.mu.Lock()
	s.pid = pid
	s.max = 0
	s.mu.Unlock()
}

func (s *rssSampler) loop() {
	defer close(s.done)
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		s.mu.Lock()
		pid := s.pid
		s.mu.Unlock()
		if pid == 0 {
			continue
		}
		v, _ := procStatus(pid, "VmRSS")
		s.mu.Lock()
		s.last = v
		if v > s.max {
			s.max = v
		}
		if s.limit > 0 && v > s.limit && !s.hit {
			s.hit = true
			if s.onLimit != nil {
				s.onLimit()
			}
		}
		s.mu.Unlock()
	}
}

// watch arms the RSS limit for one attack; the returned func disarms it and
// says whether the limit was hit.
func (s *rssSampler) watch(limit int64, onLimit func()) func() bool {
	s.mu.Lock()
	s.limit, s.onLimit, s.hit = limit, onLimit, false
	s.mu.Unlock()
	return func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.limit, s.onLimit = 0, nil
		return s.hit
	}
}

func (s *rssSampler) current() int64 { return s.status("VmRSS") }

// status is field of the sampled process's /proc status, in bytes, or 0
// before a process is set.
func (s *rssSampler) status(field string) int64 {
	s.mu.Lock()
	pid := s.pid
	s.mu.Unlock()
	if pid == 0 {
		return 0
	}
	v, _ := procStatus(pid, field)
	return v
}

// clearPeak starts a new peak: the sampler's and the kernel's VmHWM
// (writing 5 to clear_refs resets it).
func (s *rssSampler) clearPeak() {
	s.mu.Lock()
	s.max = 0
	pid := s.pid
	s.mu.Unlock()
	if pid != 0 {
		_ = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
	}
}

func (s *rssSampler) peak() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.max
}

func (s *rssSampler) hwm() int64 { return s.status("VmHWM") }

func (s *rssSampler) close() {
	close(s.stop)
	<-s.done
}

// procStatus reads one "Key: N kB" line of /proc/PID/status, in bytes.
func procStatus(pid int, key string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || k != key {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) == 0 {
			break
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return 0, err
		}
		return n << 10, nil
	}
	return 0, fmt.Errorf("%s not in /proc/%d/status", key, pid)
}

// raiseNoFile lifts this process's open-file limit to its hard limit: the
// floods hold thousands of sockets.
func raiseNoFile() {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) == nil && l.Cur < l.Max {
		l.Cur = l.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}

// percentile returns the p-th percentile (0..1) of sorted durations.
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	i := int(float64(len(d)-1) * p)
	return d[i]
}

// liveHeap asks the pprof build of mucd for its heap after a collection
// (HeapAlloc of the heap profile's MemStats): what the attack left alive,
// whatever the RSS the Go runtime keeps. -1 without -pprof.
func (b *battery) liveHeap() int64 {
	if b.pprofAddr == "" {
		return -1
	}
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get("http://" + b.pprofAddr + "/debug/pprof/heap?gc=1&debug=1")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "# HeapAlloc = "); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return -1
}

// cpuProfile starts fetching a CPU profile of the attack (with
// -profile-dir); the returned func waits for it.
func (b *battery) cpuProfile(name string) func() {
	if b.o.profDir == "" || b.pprofAddr == "" {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		secs := int(b.o.dur / time.Second)
		if secs < 1 {
			secs = 1
		}
		fetch(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", b.pprofAddr, secs), filepath.Join(b.o.profDir, name+".cpu.pprof"))
	}()
	return func() { <-done }
}

// heapProfile saves the heap profile two thirds into the attack (with
// -profile-dir), while it holds what it made the server hold; the channel
// closes when it is saved.
func (b *battery) heapProfile(name string) <-chan struct{} {
	done := make(chan struct{})
	if b.o.profDir == "" || b.pprofAddr == "" {
		close(done)
		return done
	}
	go func() {
		defer close(done)
		time.Sleep(b.o.dur * 2 / 3)
		fetch("http://"+b.pprofAddr+"/debug/pprof/heap", filepath.Join(b.o.profDir, name+".heap.pprof"))
	}()
	return done
}

func fetch(url, file string) {
	c := http.Client{Timeout: time.Minute}
	resp, err := c.Get(url)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	f, err := os.Create(file)
	if err != nil {
		return
	}
	defer f.Close()
	_, _ = io.Copy(f, resp.Body)
}

// schedstat sums the CPU time and run-queue wait of every thread of pid
// (/proc/PID/task/*/schedstat: ns on CPU, ns runnable but waiting). A
// large wait says the machine, not the server, was short of CPU.
func schedstat(pid int) (cpu, wait time.Duration) {
	if pid == 0 {
		return 0, 0
	}
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		f := strings.Fields(string(b))
		if len(f) < 2 {
			continue
		}
		c, _ := strconv.ParseInt(f[0], 10, 64)
		w, _ := strconv.ParseInt(f[1], 10, 64)
		cpu += time.Duration(c)
		wait += time.Duration(w)
	}
	return cpu, wait
}
