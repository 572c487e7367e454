package script

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/muctest/muctest/client"
	"github.com/muctest/muctest/match"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/xmlnode"
)

// Options say where and how to run a script.
type Options struct {
	// Addr is the server's host:port; empty means a fresh in-process
	// server (RunScript, RunFile, RunDir).
	Addr string
	// Domain, when set, is the stream "to" of every client and the target
	// of sync pings; otherwise each client's JID domain is used.
	Domain string
	// Server configures the in-process server (domain, accounts, admins,
	// limits); nil means DefaultServerConfig(). Ignored with Addr.
	Server *server.Config
	// Components are XEP-0114 components the server accepts besides those
	// the script declares, domain -> shared secret. In-process, the
	// script's own [Component] objects (jid and password) are always
	// accepted; against an external server they must match its
	// configuration.
	Components map[string]string
	// ComponentAddr is the host:port of the server's XEP-0114 listener,
	// where [Component] objects connect (unless they set custom_host or
	// custom_port). StartInProcess sets it for the in-process server.
	ComponentAddr string
	// WaitIdle is set for an in-process server (server.Server.WaitIdle):
	// the runner then waits for the server to be idle instead of ever
	// waiting for a stanza that has not arrived. Nil means an external
	// server, where a missing stanza is waited for up to ReceiveWait.
	WaitIdle func(context.Context) error
	// Strict fails the script on any stanza it did not expect.
	Strict bool
	// Timeout bounds the whole script; 30s when zero.
	Timeout time.Duration
	// StepTimeout, when set, bounds each step on its own.
	StepTimeout time.Duration
	// ReceiveWait is how long, against an external server, a receive step
	// waits for a stanza that has not arrived after the sync; 2s when zero.
	ReceiveWait time.Duration
	// Verbose keeps a trace of every step and stanza in Result.Trace.
	Verbose bool
	// Trace, when set, is called with each trace line as it happens (with
	// or without Verbose), so that a runner can stream it. It is called
	// from the goroutine running the script; scripts run in parallel call
	// it concurrently. A step's last line is its elapsed time, "    (1.23ms)".
	Trace func(line string)
	// Mechanism is the SASL preference list given to package client;
	// DefaultMechanisms when empty.
	Mechanism string
	// TLS makes every client use STARTTLS; InsecureSkipVerify accepts any
	// certificate (test servers have self-signed ones).
	TLS                bool
	InsecureSkipVerify bool

	// plainFirst is set by RunInProcess for a server configuration known
	// to offer PLAIN without STARTTLS: logins then pipeline the auth.
	plainFirst bool
	// connBytes is set by InProcess.Options (server.Server.ConnBytes): the
	// runner then settles by comparing byte counts instead of pinging.
	connBytes func(remote string) (read, written int64, ok bool)
	// waitHandled (server.Server.WaitHandled) is WaitIdle without its
	// look for unread socket input, which the byte counts have ruled out
	// for every client stream.
	waitHandled func(context.Context) error
	// waitRead (server.Server.WaitRead) waits for the server to have read
	// what a client wrote.
	waitRead func(ctx context.Context, remote string, n int64) error
	// waitSettled (server.Server.WaitSettled) is waitRead for every client
	// followed by waitHandled, in one wait: the runner sleeps through the
	// step's work instead of waking when each session has read.
	waitSettled func(ctx context.Context, want []server.ReadWant) error
	// dialLocal, set by InProcess.Options for a server taking its clients
	// over in-memory pairs (local.go), connects a client and returns the
	// address the server sees it from.
	dialLocal func() (net.Conn, string, error)
}

// DefaultMechanisms puts PLAIN first: scripts run against test servers that
// accept any password (as Prosody's scansion config does), which only
// PLAIN can do for an account that does not exist yet.
const DefaultMechanisms = "PLAIN,SCRAM-SHA-256,SCRAM-SHA-1"

// Result is the outcome of one script run.
type Result struct {
	Script   *Script
	Failure  *Failure // nil when the script passed
	Duration time.Duration
	Trace    []string // with Options.Verbose: steps and stanzas, in order
	Skipped  int      // stanzas passed over by lenient receives
	Late     int      // external server: stanzas that arrived after the sync
	// Steps has one entry per step that ran, in order; the last one is
	// the failing step when the script failed there.
	Steps []StepResult
	// Clients has every object's stanza log, in declaration order.
	Clients []ClientLog
	// Warnings are things that passed but look wrong: a receive without
	// type that matched type="error", a send by a disconnected client, an
	// unexpected stream error. Each starts with "path:line: ".
	Warnings []string
	// Captures are the values {scansion:capture:NAME} bound.
	Captures match.Captures
}

// StepResult is how one step went.
type StepResult struct {
	Step    *Step
	Elapsed time.Duration
	Failed  bool
	Skipped int // stanzas this step's receives passed over
}

// ClientLog is every stanza one [Client] or [Component] received, in
// arrival order, with what became of it.
type ClientLog struct {
	Name    string
	Stanzas []LoggedStanza
}

// What became of a received stanza.
const (
	Matched = "matched" // consumed by a receive
	Skipped = "skipped" // passed over by a lenient receive
	Pending = "pending" // never consumed
)

// LoggedStanza is one received stanza.
type LoggedStanza struct {
	Stanza *xmlnode.Element
	Status string // Matched, Skipped or Pending
	Line   int    // the line of the step that matched or skipped it
}

// Passed reports whether the script passed.
func (r *Result) Passed() bool { return r.Failure == nil }

// Failure describes why a script failed, with everything needed to see the
// difference without re-running it.
type Failure struct {
	Path     string
	Step     *Step    // nil when the failure is not tied to one step
	Msg      string   // one-line summary
	Expected string   // the expected stanza, pretty-printed
	Received string   // the closest received stanza, every difference marked
	Earlier  string   // the matching stanza that arrived earlier, out of order
	Captures []string // bound captures, "NAME = "value" (line N)"
	Client   string   // whose stanzas Recent lists
	Recent   []string // that client's last stanzas, each marked with what became of it
}

// Error renders the failure as the report printed by muctest.
func (f *Failure) Error() string {
	var b strings.Builder
	if f.Step != nil {
		fmt.Fprintf(&b, "%s:%d: %s\n", f.Path, f.Step.Line, f.Step)
		for _, c := range f.Step.Comment {
			fmt.Fprintf(&b, "    %s\n", c)
		}
	} else {
		fmt.Fprintf(&b, "%s:\n", f.Path)
	}
	fmt.Fprintf(&b, "    %s\n", f.Msg)
	if f.Expected != "" {
		b.WriteString("    expected:\n")
		b.WriteString(indent(f.Expected, "        "))
	}
	if f.Received != "" {
		b.WriteString("    received:\n")
		b.WriteString(indent(f.Received, "        "))
	}
	if f.Earlier != "" {
		b.WriteString("    arrived earlier, out of order:\n")
		b.WriteString(indent(f.Earlier, "        "))
	}
	if len(f.Captures) > 0 {
		b.WriteString("    captures:\n")
		for _, c := range f.Captures {
			b.WriteString("        " + c + "\n")
		}
	}
	if len(f.Recent) > 0 {
		fmt.Fprintf(&b, "    last stanzas %s saw (oldest first):\n", f.Client)
		for _, r := range f.Recent {
			b.WriteString(indent(r, "        "))
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

func indent(s, prefix string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString(prefix + l + "\n")
	}
	return b.String()
}

// syncPrefix starts the id of the runner's own ping iqs; their replies are
// never shown to the script.
const syncPrefix = "muctest-sync-"

const (
	recentMax   = 8  // stanzas in a failure's history
	recentLines = 12 // lines per stanza there before it is cut
	logMax      = 10000
)

type queued struct {
	st    *xmlnode.Element
	epoch int
	log   int // index in session.log
}

// session is the runtime state of one [Client] or [Component].
type session struct {
	decl    *Client
	conn    *client.Conn
	addr    string // conn's local address, as the server names the session
	fullJID string
	queue   []queued
	log     []LoggedStanza
	ended   error // set when the server ended the stream
	endedAt int   // the line of the step during which it ended
	syncN   int
}

// Errors that name the time limit that ran out (context causes).
var (
	errScriptTimeout = errors.New("script time limit")
	errStepTimeout   = errors.New("step time limit")
)

type runner struct {
	s        *Script
	opts     Options
	root     context.Context // the script's context
	ctx      context.Context // the current step's
	res      *Result
	sess     map[string]*session
	order    []*session // declaration order
	epoch    int
	step     *Step
	skipped  int // in the current step
	capLines map[string]int
	// background is set once the clients' streams are read by goroutines
	// of their own (waitServer), as with an external server.
	background, backgroundTraced bool
	// grace is waitServer's timer; graceMu orders its toBackground with
	// the runner, which holds the streams only while graceArmed is false.
	grace      *time.Timer
	graceMu    sync.Mutex
	graceArmed bool
	// wants is settleCounted's list for waitSettled, settled its wait
	// over it (made once per run).
	wants   []server.ReadWant
	settled func(context.Context) error
}

// readInline reports whether new client streams are read inline
// (client.Config.ReadInline): in-process, settled by byte counts, until
// waitServer gives up on it for the run.
func (r *runner) readInline() bool {
	return r.opts.connBytes != nil && r.opts.WaitIdle != nil && !r.opts.TLS && !r.background
}

// Run runs s against the server described by opts.
func Run(ctx context.Context, s *Script, opts Options) *Result {
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.Mechanism == "" {
		opts.Mechanism = DefaultMechanisms
	}
	if opts.ReceiveWait <= 0 {
		opts.ReceiveWait = 2 * time.Second
	}
	ctx, cancel := context.WithTimeoutCause(ctx, opts.Timeout, errScriptTimeout)
	defer cancel()
	start := time.Now()
	r := &runner{s: s, opts: opts, root: ctx, ctx: ctx, res: &Result{Script: s, Captures: match.Captures{}},
		sess: map[string]*session{}, capLines: map[string]int{}}
	r.res.Steps = make([]StepResult, 0, len(s.Steps))
	for _, c := range s.Clients {
		ss := &session{decl: c}
		r.sess[c.Name] = ss
		r.order = append(r.order, ss)
	}
	var fail *Failure
	for _, st := range s.Steps {
		if r.tracing() {
			r.tracef("%s:%d: %s", s.Path, st.Line, st)
		}
		t0 := time.Now()
		fail = r.runStep(st)
		elapsed := time.Since(t0)
		r.res.Steps = append(r.res.Steps, StepResult{Step: st, Elapsed: elapsed, Failed: fail != nil, Skipped: r.skipped})
		if r.opts.Verbose || r.opts.Trace != nil {
			r.tracef("    (%s)", fmtDuration(elapsed))
		}
		if fail != nil {
			if fail.Step == nil {
				fail.Step = st
			}
			break
		}
	}
	r.step = nil
	r.ctx = r.root
	if fail == nil {
		fail = r.finish()
	}
	r.closeAll()
	if r.res.Skipped > 0 {
		r.tracef("    lenient: %d stanza(s) the script does not mention were skipped", r.res.Skipped)
	}
	if fail != nil {
		fail.Path = s.Path
		fail.Captures = r.captureList()
		r.res.Failure = fail
	}
	for _, ss := range r.order {
		r.res.Clients = append(r.res.Clients, ClientLog{Name: ss.decl.Name, Stanzas: ss.log})
	}
	r.res.Duration = time.Since(start)
	return r.res
}

func fmtDuration(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 2, 64) + "ms"
}

// runStep runs one step under its own time limit.
func (r *runner) runStep(st *Step) *Failure {
	r.step, r.skipped = st, 0
	r.ctx = r.root
	if r.opts.StepTimeout > 0 {
		ctx, cancel := context.WithTimeoutCause(r.root, r.opts.StepTimeout, errStepTimeout)
		defer cancel()
		r.ctx = ctx
	}
	f := r.do(st)
	if f != nil && r.ctx.Err() == nil {
		// A socket deadline set from the context can fire a moment
		// before the context's own timer: past the deadline, wait for it.
		if dl, ok := r.ctx.Deadline(); ok && !time.Now().Before(dl) {
			<-r.ctx.Done()
		}
	}
	if f != nil && r.ctx.Err() != nil {
		f.Msg += " — " + r.timeoutText()
	}
	return f
}

// timeoutText names the limit that ran out, and where to change it.
func (r *runner) timeoutText() string {
	line := 0
	if r.step != nil {
		line = r.step.Line
	}
	switch context.Cause(r.ctx) {
	case errStepTimeout:
		return fmt.Sprintf("the per-step time limit (Options.StepTimeout, %v) ran out at line %d", r.opts.StepTimeout, line)
	case errScriptTimeout:
		return fmt.Sprintf("the script's time limit (Options.Timeout, muctest -timeout, %v) ran out at line %d", r.opts.Timeout, line)
	}
	return fmt.Sprintf("cancelled at line %d: %v", line, context.Cause(r.ctx))
}

// tracing reports whether trace lines are kept or streamed: the hot
// paths ask before they box tracef's arguments.
func (r *runner) tracing() bool { return r.opts.Verbose || r.opts.Trace != nil }

func (r *runner) tracef(format string, args ...any) {
	if !r.tracing() {
		return
	}
	line := fmt.Sprintf(format, args...)
	if r.opts.Verbose {
		r.res.Trace = append(r.res.Trace, line)
	}
	if r.opts.Trace != nil {
		r.opts.Trace(line)
	}
}

func (r *runner) warnf(format string, args ...any) {
	line := 0
	if r.step != nil {
		line = r.step.Line
	}
	r.warnAt(line, format, args...)
}

// warnAt records a warning about line of the script.
func (r *runner) warnAt(line int, format string, args ...any) {
	w := fmt.Sprintf("%s:%d: ", r.s.Path, line) + fmt.Sprintf(format, args...)
	r.res.Warnings = append(r.res.Warnings, w)
	r.tracef("    warning: %s", fmt.Sprintf(format, args...))
}

func (r *runner) failf(st *Step, format string, args ...any) *Failure {
	return &Failure{Step: st, Msg: fmt.Sprintf(format, args...)}
}

// domainFor is the stream "to" of a client and the target of its sync
// pings: Options.Domain, else the JID's domain. A component pings its
// server: Options.Domain, else the domain above its own.
func (r *runner) domainFor(c *Client) string {
	if r.opts.Domain != "" {
		return r.opts.Domain
	}
	if c.Component {
		if _, parent, ok := strings.Cut(c.JID, "."); ok {
			return parent
		}
		return c.JID
	}
	_, d, _ := strings.Cut(c.JID, "@")
	return d
}

// addrFor is where an object connects: custom_host and custom_port
// override the host and port of Options.Addr (ComponentAddr for a
// component).
func (r *runner) addrFor(c *Client) (string, error) {
	base := r.opts.Addr
	if c.Component {
		base = r.opts.ComponentAddr
	}
	if c.Host == "" && c.Port == 0 {
		if base == "" && c.Component {
			return "", errors.New("no XEP-0114 component address (Options.ComponentAddr, or custom_host and custom_port)")
		}
		return base, nil
	}
	host, port, err := net.SplitHostPort(base)
	if err != nil {
		host, port = "", ""
	}
	if c.Host != "" {
		host = c.Host
	}
	if c.Port != 0 {
		port = strconv.Itoa(c.Port)
	}
	if port == "" {
		port = "5222"
		if c.Component {
			port = "5347"
		}
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// stanzas fills a step's compiled block with the JIDs of this run.
func (r *runner) stanzas(st *Step) ([]*xmlnode.Element, error) {
	return st.expand(func(rf ref) (string, error) {
		if !rf.full {
			return rf.client.Declared(), nil
		}
		ss := r.sess[rf.client.Name]
		if ss.fullJID == "" {
			return "", fmt.Errorf("${%s's full JID} is used before %s connects", rf.client.Name, rf.client.Name)
		}
		return ss.fullJID, nil
	})
}

func (r *runner) do(st *Step) *Failure {
	ss := r.sess[st.Client]
	switch st.Action {
	case Connect:
		return r.connect(st, ss)
	case Disconnect:
		if ss.conn == nil {
			// Scripts written for scansion do this (e.g. disconnect
			// twice); it is harmless, so it is a no-op.
			r.tracef("    %s is not connected: nothing to do", st.Client)
			return nil
		}
		r.epoch++
		if f := r.leftovers(st, ss); f != nil {
			return f
		}
		err := ss.conn.Close()
		ss.conn = nil
		if err != nil && !errors.Is(err, client.ErrClosed) && ss.ended == nil {
			return r.failf(st, "%s: closing handshake: %v", st.Client, err)
		}
		return r.settle(nil)
	case Drop:
		if ss.conn == nil {
			return r.failf(st, "%s's connection cannot drop: it is not connected", st.Client)
		}
		r.epoch++
		if f := r.leftovers(st, ss); f != nil {
			return f
		}
		// Drop returns once the server has closed its side too, i.e.
		// noticed: the in-process server's WaitIdle sees unread bytes on
		// a socket but not a bare FIN, so the settle below could
		// otherwise run before the server has begun the teardown.
		err := ss.conn.Drop()
		ss.conn = nil
		if err != nil {
			return r.failf(st, "%s: %v", st.Client, err)
		}
		r.tracef("    %s's connection closed without </stream:stream>", st.Client)
		return r.settle(nil)
	case StreamError:
		return r.streamError(st, ss)
	case Send:
		if ss.conn == nil {
			// As in scansion, the stanza goes nowhere; lint warned.
			r.warnf("%s sends while not connected: nothing sent", st.Client)
			return nil
		}
		els, err := r.stanzas(st)
		if err != nil {
			return r.failf(st, "%v", err)
		}
		r.epoch++
		if r.tracing() {
			for _, el := range els {
				r.tracef("    %s -> %s", st.Client, stanzaText{el})
			}
		}
		// The actor's sync ping goes in the same write as the stanzas
		// (none when byte counts settle the run).
		id, out := "", els
		if r.opts.connBytes == nil || ss.decl.Component {
			var iq *xmlnode.Element
			id, iq = r.pingIQ(ss)
			out = append(els[:len(els):len(els)], iq)
		}
		if err := ss.conn.SendAll(out...); err != nil {
			msg := fmt.Sprintf("%s: send: %v", st.Client, err)
			if ss.ended != nil {
				msg += fmt.Sprintf(" (its stream had ended: %v)", ss.ended)
			}
			return r.failf(st, "%s", msg)
		}
		return r.settleAfter(ss, id)
	case Receive, ReceiveAnyOrder:
		if ss.conn == nil && len(ss.queue) == 0 {
			return r.failf(st, "%s receives while not connected", st.Client)
		}
		els, err := r.stanzas(st)
		if err != nil {
			return r.failf(st, "%v", err)
		}
		if st.Action == ReceiveAnyOrder {
			return r.consume(st, ss, els)
		}
		for _, el := range els {
			if f := r.consume(st, ss, []*xmlnode.Element{el}); f != nil {
				return f
			}
		}
		return nil
	case ReceiveNothing:
		if f := r.nothing(st, ss); f != nil {
			return f
		}
		if ss.conn != nil && r.opts.WaitIdle == nil {
			// An external server may still be working: one more
			// round trip catches late stanzas.
			if err := r.sync(ss); err != nil {
				return r.failf(st, "%v", err)
			}
			return r.nothing(st, ss)
		}
		return nil
	}
	return r.failf(st, "unknown action")
}

func (r *runner) connect(st *Step, ss *session) *Failure {
	if ss.conn != nil {
		return r.failf(st, "%s is already connected", st.Client)
	}
	r.epoch++
	addr, err := r.addrFor(ss.decl)
	if err != nil {
		return r.failf(st, "%s could not connect: %v", st.Client, err)
	}
	var conn *client.Conn
	local := "" // the address the server sees a local client from
	if ss.decl.Component {
		conn, err = client.DialComponent(r.ctx, addr, client.ComponentConfig{
			Domain: ss.decl.JID, Secret: ss.decl.Password, Timeout: r.opts.Timeout,
		})
	} else {
		cfg := client.Config{
			JID: ss.decl.JID, Password: ss.decl.Password, Resource: ss.decl.Resource,
			Domain: r.opts.Domain, Timeout: r.opts.Timeout, Mechanism: r.opts.Mechanism,
			TLS: r.opts.TLS, InsecureSkipVerify: r.opts.InsecureSkipVerify,
			PipelinePlain: r.opts.plainFirst,
			// Settled by byte counts, the stream is read when the counts
			// say there is something to read (settleCounted).
			ReadInline: r.readInline(),
		}
		if r.opts.dialLocal != nil {
			conn, local, err = r.dialLocal(cfg)
		} else {
			conn, err = client.Dial(r.ctx, addr, cfg)
		}
	}
	if err != nil {
		return r.failf(st, "%s could not connect to %s: %v", st.Client, addr, err)
	}
	ss.conn, ss.fullJID, ss.ended, ss.queue = conn, conn.JID(), nil, nil
	ss.addr = local
	if ss.addr == "" {
		ss.addr = conn.LocalAddr().String()
	}
	if r.tracing() {
		r.tracef("    %s bound %s", st.Client, ss.fullJID)
	}
	return r.settle(ss)
}

// dialLocal connects a client to the in-process server over an in-memory pair
// (Options.dialLocal) and negotiates its stream, as client.Dial does over
// TCP; it also returns the address the server sees the client from.
func (r *runner) dialLocal(cfg client.Config) (*client.Conn, string, error) {
	nc, addr, err := r.opts.dialLocal()
	if err != nil {
		return nil, "", err
	}
	conn, err := client.New(r.ctx, nc, cfg)
	if err != nil {
		nc.Close()
		return nil, "", err
	}
	return conn, addr, nil
}

// streamError checks "X receives stream error: COND": X's stream has
// ended with that stream error (any, without a condition).
func (r *runner) streamError(st *Step, ss *session) *Failure {
	if ss.ended == nil && ss.conn != nil {
		// In-process the error, if any, came while settling; one more
		// round trip (which cannot be answered on a dead stream) makes
		// sure, and against an external server the wait gives it time.
		if err := r.sync(ss); err != nil {
			return r.failf(st, "%v", err)
		}
		if ss.ended == nil && r.opts.WaitIdle == nil {
			r.awaitEnd(ss)
		}
	}
	want := st.Condition
	if want == "" {
		want = "any condition"
	}
	if ss.ended == nil && ss.conn == nil {
		return r.failf(st, "%s is not connected (its stream ended without a stream error), expected a stream error (%s)", st.Client, want)
	}
	if ss.ended == nil {
		f := r.failf(st, "%s's stream is still open, expected a stream error (%s)", st.Client, want)
		r.addRecent(f, ss)
		return f
	}
	var se *client.StreamError
	if !errors.As(ss.ended, &se) {
		f := r.failf(st, "%s's stream ended without a stream error (%v), expected %s", st.Client, ss.ended, want)
		r.addRecent(f, ss)
		return f
	}
	if st.Condition != "" && se.Condition != st.Condition {
		f := r.failf(st, "%s got stream error <%s/>, expected <%s/>", st.Client, se.Condition, st.Condition)
		if se.Text != "" {
			f.Msg += fmt.Sprintf(" (text %q)", se.Text)
		}
		r.addRecent(f, ss)
		return f
	}
	r.tracef("    %s: stream error <%s/> as expected", st.Client, se.Condition)
	if f := r.leftovers(st, ss); f != nil {
		return f
	}
	ss.ended = nil // expected: not reported again
	if ss.conn != nil {
		ss.conn.Abort()
		ss.conn = nil
	}
	return nil
}

// awaitEnd waits up to ReceiveWait (external servers) for the stream to
// end, queueing what arrives meanwhile.
func (r *runner) awaitEnd(ss *session) {
	ctx, cancel := context.WithTimeout(r.ctx, r.opts.ReceiveWait)
	defer cancel()
	for {
		st, err := ss.conn.RecvContext(ctx)
		if err != nil {
			if ctx.Err() == nil {
				ss.ended = err
			}
			return
		}
		if !isSync(st) {
			r.enqueue(ss, st)
		}
	}
}

// nothing checks "X receives: nothing": no queued stanza caused by the
// latest action (strict: no queued stanza at all).
func (r *runner) nothing(st *Step, ss *session) *Failure {
	for _, q := range ss.queue {
		if r.opts.Strict || q.epoch == r.epoch {
			f := r.failf(st, "%s received a stanza, expected nothing", st.Client)
			f.Received = match.Format(q.st, nil, "")
			r.addRecent(f, ss)
			return f
		}
	}
	return nil
}

// settle brings every client up to date after an action: in-process, wait
// for the server to be idle; then a ping round trip per client, actor first,
// so that everything the server sent because of the action is queued.
func (r *runner) settle(actor *session) *Failure {
	return r.settleAfter(actor, "")
}

// settleAfter is settle for an actor whose sync ping (id) is already on
// its way, sent along with the action; "" sends one.
func (r *runner) settleAfter(actor *session, id string) *Failure {
	if r.opts.connBytes != nil && r.opts.WaitIdle != nil {
		return r.settleCounted(actor, id)
	}
	if id == "" && r.opts.WaitIdle != nil {
		if err := r.opts.WaitIdle(r.ctx); err != nil {
			return &Failure{Msg: fmt.Sprintf("server did not become idle: %v", err)}
		}
	}
	if actor != nil && actor.conn != nil {
		var err error
		if id != "" {
			err = r.awaitPong(actor, id)
		} else {
			err = r.sync(actor)
		}
		if err != nil {
			return &Failure{Msg: err.Error()}
		}
	}
	if id != "" && r.opts.WaitIdle != nil {
		// The actor's answer shows its stanzas were handled; what that
		// set off elsewhere in the server is waited for here.
		if err := r.opts.WaitIdle(r.ctx); err != nil {
			return &Failure{Msg: fmt.Sprintf("server did not become idle: %v", err)}
		}
	}
	// The others' pings go out together and are collected after: their
	// round trips overlap instead of adding up.
	var ids []string
	var others []*session
	for _, ss := range r.order {
		if ss != actor && ss.conn != nil && ss.ended == nil {
			if id, ok := r.ping(ss); ok {
				ids, others = append(ids, id), append(others, ss)
			}
		}
	}
	for i, ss := range others {
		if err := r.awaitPong(ss, ids[i]); err != nil {
			return &Failure{Msg: err.Error()}
		}
	}
	return nil
}

// sync sends a ping to the client's server and queues everything received
// before the reply. A stream ended by the server is recorded, not an error.
func (r *runner) sync(ss *session) error {
	if ss.ended != nil {
		return nil
	}
	id, ok := r.ping(ss)
	if !ok {
		return nil
	}
	return r.awaitPong(ss, id)
}

// pingIQ builds the runner's next private ping for ss.
func (r *runner) pingIQ(ss *session) (string, *xmlnode.Element) {
	ss.syncN++
	id := syncPrefix + strconv.Itoa(ss.syncN)
	iq := xmlnode.New(client.NSClient, "iq", "type", "get", "id", id, "to", r.domainFor(ss.decl))
	if ss.decl.Component {
		iq.SetAttr("from", ss.decl.JID)
	}
	iq.AddChild("urn:xmpp:ping", "ping")
	return id, iq
}

// ping sends the runner's private ping on ss; false when the stream is
// gone (recorded in ss.ended).
func (r *runner) ping(ss *session) (string, bool) {
	id, iq := r.pingIQ(ss)
	if err := ss.conn.Send(iq); err != nil {
		r.ended(ss, err)
		return "", false
	}
	return id, true
}

// awaitPong queues what ss receives up to the answer to ping id.
func (r *runner) awaitPong(ss *session, id string) error {
	for {
		st, err := ss.conn.RecvContext(r.ctx)
		if err != nil {
			if r.ctx.Err() != nil {
				return fmt.Errorf("%s: no answer to the runner's sync ping (id %s)", ss.decl.Name, id)
			}
			r.ended(ss, err)
			return nil
		}
		if isSync(st) {
			if st.Attrib("id") == id {
				return nil
			}
			continue
		}
		r.enqueue(ss, st)
	}
}

// ended records that the server ended ss's stream.
func (r *runner) ended(ss *session, err error) {
	ss.ended = err
	if r.step != nil {
		ss.endedAt = r.step.Line
	}
	r.tracef("    %s stream ended: %v", ss.decl.Name, err)
}

func isSync(st *xmlnode.Element) bool {
	return st.Name.Local == "iq" && strings.HasPrefix(st.Attrib("id"), syncPrefix) &&
		(st.Attrib("type") == "result" || st.Attrib("type") == "error")
}

func (r *runner) enqueue(ss *session, st *xmlnode.Element) {
	if r.tracing() {
		r.tracef("    %s <- %s", ss.decl.Name, stanzaText{st})
	}
	li := -1
	if len(ss.log) < logMax {
		if ss.log == nil {
			// Room for what a client of a typical script receives,
			// rather than growing one, two, four, eight, sixteen.
			ss.log = make([]LoggedStanza, 0, 16)
		}
		ss.log = append(ss.log, LoggedStanza{Stanza: st, Status: Pending})
		li = len(ss.log) - 1
	}
	if ss.queue == nil {
		ss.queue = make([]queued, 0, 8)
	}
	ss.queue = append(ss.queue, queued{st: st, epoch: r.epoch, log: li})
}

func (ss *session) mark(q queued, status string, line int) {
	if q.log >= 0 {
		ss.log[q.log].Status, ss.log[q.log].Line = status, line
	}
}

// consume takes from the queue one distinct stanza matching each of exps,
// in any order (an ordered receive calls it once per stanza). Among the
// ways to do so it picks the one that skips the fewest queued stanzas:
// stanzas are taken in queue order and assigned by augmenting paths, so
// the shortest prefix of the queue that holds a match for all of exps is
// used. Queued stanzas before the last one used are skipped (lenient) or
// fail the script (strict); order is thus still checked.
func (r *runner) consume(st *Step, ss *session, exps []*xmlnode.Element) *Failure {
	deadline := time.Now().Add(r.opts.ReceiveWait)
	for {
		assigned, prefix, binds := r.assign(ss, exps)
		if prefix >= 0 {
			return r.take(st, ss, exps, assigned, prefix, binds)
		}
		if r.opts.WaitIdle != nil || ss.conn == nil || ss.ended != nil || !r.awaitOne(ss, deadline) {
			return r.missing(st, ss, exps, assigned)
		}
	}
}

// assign matches exps to queued stanzas (see consume). It returns, for
// each expected stanza, the queue index assigned (-1 when none), the
// length of the queue prefix used (-1 when not all could be assigned) and
// the captures the assigned stanzas bind.
func (r *runner) assign(ss *session, exps []*xmlnode.Element) ([]int, int, match.Captures) {
	n := len(exps)
	expOf := make([]int, n) // queue index matched to exps[i]
	for i := range expOf {
		expOf[i] = -1
	}
	type key struct{ i, j int }
	memo := map[key]bool{}
	binds := map[key]match.Captures{}
	ok := func(i, j int) bool {
		k := key{i, j}
		if v, seen := memo[k]; seen {
			return v
		}
		matched, b := match.MatchesCaptures(exps[i], ss.queue[j].st, r.res.Captures)
		memo[k], binds[k] = matched, b
		return matched
	}
	var try func(j int, seen []bool) bool
	try = func(j int, seen []bool) bool {
		for i := 0; i < n; i++ {
			if seen[i] || !ok(i, j) {
				continue
			}
			seen[i] = true
			if expOf[i] < 0 || try(expOf[i], seen) {
				expOf[i] = j
				return true
			}
		}
		return false
	}
	size := 0
	for j := range ss.queue {
		if try(j, make([]bool, n)) {
			size++
		}
		if size == n {
			all := match.Captures{}
			for i, q := range expOf {
				for k, v := range binds[key{i, q}] {
					if _, dup := all[k]; !dup {
						all[k] = v
					}
				}
			}
			return expOf, j + 1, all
		}
	}
	return expOf, -1, nil
}

// awaitOne waits (external servers only) until deadline for one more
// stanza, queueing it; it reports whether one came.
func (r *runner) awaitOne(ss *session, deadline time.Time) bool {
	ctx, cancel := context.WithDeadline(r.ctx, deadline)
	defer cancel()
	for {
		st, err := ss.conn.RecvContext(ctx)
		if err != nil {
			if ctx.Err() == nil {
				r.ended(ss, err)
			}
			return false
		}
		if isSync(st) {
			continue
		}
		r.enqueue(ss, st)
		r.res.Late++
		r.tracef("    %s: a stanza arrived after the sync (late)", ss.decl.Name)
		return true
	}
}

// take consumes an assignment found by assign.
func (r *runner) take(st *Step, ss *session, exps []*xmlnode.Element, assigned []int, prefix int, binds match.Captures) *Failure {
	used := make([]bool, prefix)
	for _, j := range assigned {
		used[j] = true
	}
	if r.opts.Strict && prefix > len(exps) {
		for j := 0; j < prefix; j++ {
			if !used[j] {
				f := r.failf(st, "strict: %s received a stanza the script does not expect before the expected one", st.Client)
				if len(exps) > 1 {
					f.Msg = fmt.Sprintf("strict: %s received a stanza the script does not expect among the %d expected in any order", st.Client, len(exps))
				}
				exp := closestExp(exps, ss.queue[j].st, r.res.Captures)
				if st.Action == Receive && r.inBlock(st, ss.queue[j].st) {
					f.Msg += orderHint
				}
				f.Expected = match.Format(exp, nil, "")
				f.Received = match.FormatDiff(ss.queue[j].st, match.Diff(exp, ss.queue[j].st, r.res.Captures))
				r.addRecent(f, ss)
				return f
			}
		}
	}
	for k, v := range binds {
		r.res.Captures[k] = v
		r.capLines[k] = st.Line
		r.tracef("    captured %s = %q", k, v)
	}
	for j := 0; j < prefix; j++ {
		q := ss.queue[j]
		if !used[j] {
			ss.mark(q, Skipped, st.Line)
			r.res.Skipped++
			r.skipped++
			if r.tracing() {
				r.tracef("    %s skipped %s", ss.decl.Name, stanzaText{q.st})
			}
			continue
		}
		ss.mark(q, Matched, st.Line)
		if r.tracing() {
			r.tracef("    %s matched %s", ss.decl.Name, stanzaText{q.st})
		}
	}
	for i, j := range assigned {
		if _, typed := exps[i].LookupAttr("", "type"); !typed && ss.queue[j].st.Attrib("type") == "error" {
			r.warnf("%s received a type=\"error\" <%s/> where the script expects one without type (add type=\"error\" if an error is meant)",
				st.Client, exps[i].Name.Local)
		}
	}
	ss.queue = append(ss.queue[:0], ss.queue[prefix:]...)
	return nil
}

// inBlock reports whether got matches another stanza of st's block (an
// ordered block whose stanzas came in another order).
func (r *runner) inBlock(st *Step, got *xmlnode.Element) bool {
	if len(st.stanzas) < 2 {
		return false
	}
	els, err := r.stanzas(st)
	if err != nil {
		return false
	}
	for _, e := range els {
		if matched, _ := match.MatchesCaptures(e, got, r.res.Captures); matched {
			return true
		}
	}
	return false
}

// orderHint follows a failure of an ordered block whose stanzas came in
// another order.
const orderHint = " (where the protocol leaves their order open, \"receives in any order:\" accepts any)"

// closestExp picks the expected stanza most like got, for a report.
func closestExp(exps []*xmlnode.Element, got *xmlnode.Element, caps match.Captures) *xmlnode.Element {
	best, bestN := exps[0], -1
	for _, e := range exps {
		n := len(match.Diff(e, got, caps))
		if bestN < 0 || n < bestN {
			best, bestN = e, n
		}
	}
	return best
}

// missing reports expected stanzas that no queued stanza matches: the
// first one left unassigned, the closest queued stanza with every
// difference marked, and, when a matching stanza arrived earlier and was
// skipped, that stanza.
func (r *runner) missing(st *Step, ss *session, exps []*xmlnode.Element, assigned []int) *Failure {
	var miss []*xmlnode.Element
	for i, j := range assigned {
		if j < 0 {
			miss = append(miss, exps[i])
		}
	}
	if len(miss) == 0 { // cannot happen: assign failed
		miss = exps
	}
	exp := miss[0]
	f := r.failf(st, "%s did not receive the expected stanza", st.Client)
	if len(exps) > 1 {
		f.Msg = fmt.Sprintf("%s did not receive %d of the %d stanzas expected in any order", st.Client, len(miss), len(exps))
	}
	if ss.ended != nil {
		f.Msg += fmt.Sprintf(" (its stream ended: %v)", ss.ended)
	}
	if r.opts.WaitIdle == nil && ss.conn != nil {
		f.Msg += fmt.Sprintf(" (waited %v for it: Options.ReceiveWait, muctest -receive-wait)", r.opts.ReceiveWait)
	}
	var parts []string
	for _, e := range miss {
		parts = append(parts, match.Format(e, nil, ""))
	}
	f.Expected = strings.Join(parts, "\n")
	taken := map[int]bool{}
	for _, j := range assigned {
		if j >= 0 {
			taken[j] = true
		}
	}
	if best := r.closestQueued(exp, ss, taken); best != nil {
		f.Received = match.FormatDiff(best, match.Diff(exp, best, r.res.Captures))
	} else {
		f.Received = "(nothing pending)"
	}
	for _, l := range ss.log {
		if l.Status == Skipped {
			if matched, _ := match.MatchesCaptures(exp, l.Stanza, r.res.Captures); matched {
				f.Msg += fmt.Sprintf("; it arrived earlier, out of order, and was skipped by the receive at line %d", l.Line)
				if l.Line == st.Line && st.Action == Receive {
					f.Msg += orderHint
				}
				f.Earlier = match.Format(l.Stanza, nil, "")
				break
			}
		}
	}
	r.addRecent(f, ss)
	return f
}

// closestQueued picks the queued stanza with the fewest differences from
// exp, preferring stanzas of the same kind, among those not taken by the
// other expected stanzas of the step.
func (r *runner) closestQueued(exp *xmlnode.Element, ss *session, taken map[int]bool) *xmlnode.Element {
	var best *xmlnode.Element
	bestN := 0
	for j, q := range ss.queue {
		if taken[j] {
			continue // matches another stanza of the same step
		}
		n := len(match.Diff(exp, q.st, r.res.Captures))
		if q.st.Name.Local != exp.Name.Local {
			n += 1000
		}
		if best == nil || n < bestN {
			best, bestN = q.st, n
		}
	}
	return best
}

// captureList renders the bound captures for a failure, sorted.
func (r *runner) captureList() []string {
	var out []string
	for k, v := range r.res.Captures {
		out = append(out, fmt.Sprintf("%s = %q (line %d)", k, v, r.capLines[k]))
	}
	sort.Strings(out)
	return out
}

func (r *runner) addRecent(f *Failure, ss *session) {
	f.Client = ss.decl.Name
	from := max(0, len(ss.log)-recentMax)
	if from > 0 {
		f.Recent = append(f.Recent, fmt.Sprintf("(%d earlier stanza(s) not shown)", from))
	}
	for _, l := range ss.log[from:] {
		status := l.Status
		if l.Line > 0 {
			status += " at line " + strconv.Itoa(l.Line)
		}
		f.Recent = append(f.Recent, "["+status+"] "+truncate(match.Format(l.Stanza, nil, ""), recentLines))
	}
	if len(f.Recent) == 0 {
		f.Recent = []string{"(none)"}
	}
}

// truncate keeps the first n lines of s, saying how many were cut.
func truncate(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) <= n {
		return s
	}
	return strings.Join(lines[:n-1], "\n") + fmt.Sprintf("\n\t… (%d more lines)", len(lines)-n+1)
}

// leftovers fails in strict mode when a client still holds stanzas the
// script never received.
func (r *runner) leftovers(st *Step, ss *session) *Failure {
	if !r.opts.Strict || len(ss.queue) == 0 {
		return nil
	}
	f := r.failf(st, "strict: %s received %d stanza(s) the script does not expect", ss.decl.Name, len(ss.queue))
	f.Received = match.Format(ss.queue[0].st, nil, "")
	r.addRecent(f, ss)
	return f
}

// finish runs the end-of-script checks: in strict mode, no client may hold
// unexpected stanzas. A stream error nobody expected is a warning.
func (r *runner) finish() *Failure {
	for _, ss := range r.order {
		var se *client.StreamError
		if errors.As(ss.ended, &se) {
			r.warnAt(ss.endedAt, "%s's stream ended with a stream error the script does not expect: <%s/> (\"%s receives stream error: %s\" pins it)",
				ss.decl.Name, se.Condition, ss.decl.Name, se.Condition)
		}
	}
	if !r.opts.Strict {
		return nil
	}
	if f := r.settle(nil); f != nil {
		return f
	}
	for _, ss := range r.order {
		if f := r.leftovers(nil, ss); f != nil {
			f.Msg += " (at the end of the script)"
			return f
		}
	}
	return nil
}

// closeAll ends every stream still open, with the closing handshake, so
// that an external server cleans up before the next script. An in-process
// server is closed right after the script, so there the sockets are just
// closed: nothing is checked any more, and the handshakes cost a round
// trip each.
func (r *runner) closeAll() {
	for _, ss := range r.order {
		if ss.conn != nil && r.opts.WaitIdle != nil {
			ss.conn.Abort()
			ss.conn = nil
			continue
		}
		if ss.conn != nil {
			if err := ss.conn.Close(); err != nil && !errors.Is(err, client.ErrClosed) && ss.ended == nil {
				r.tracef("    %s close: %v", ss.decl.Name, err)
			}
			ss.conn = nil
		}
	}
}

// compact is a stanza on one line as it travels in a client stream.
func compact(st *xmlnode.Element) string { return string(st.AppendTo(nil, client.NSClient)) }

// stanzaText defers compact until a trace line is actually made: without
// a trace, stanzas are never serialised for it.
type stanzaText struct{ st *xmlnode.Element }

func (s stanzaText) String() string { return compact(s.st) }
