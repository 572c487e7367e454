package script

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/muctest/muctest/client"
	"github.com/muctest/muctest/match"
	"github.com/muctest/muctest/xmlnode"
)

// Options say where and how to run a script.
type Options struct {
	// Addr is the server's host:port.
	Addr string
	// Domain, when set, is the stream "to" of every client and the target
	// of sync pings; otherwise each client's JID domain is used.
	Domain string
	// WaitIdle is set for an in-process server (server.Server.WaitIdle):
	// the runner then waits for the server to be idle instead of ever
	// waiting for a stanza that has not arrived. Nil means an external
	// server, where a missing stanza is waited for up to ReceiveWait.
	WaitIdle func(context.Context) error
	// Strict fails the script on any stanza it did not expect.
	Strict bool
	// Timeout bounds the whole script; 30s when zero.
	Timeout time.Duration
	// ReceiveWait is how long, against an external server, a receive step
	// waits for a stanza that has not arrived after the sync; 2s when zero.
	ReceiveWait time.Duration
	// Verbose keeps a trace of every step and stanza in Result.Trace.
	Verbose bool
	// Mechanism is the SASL preference list given to package client;
	// DefaultMechanisms when empty.
	Mechanism string
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
	Received string   // the closest received stanza, difference marked
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

const recentMax = 8

type queued struct {
	st    *xmlnode.Element
	epoch int
}

type seen struct {
	st     *xmlnode.Element
	status string // "matched", "skipped", "pending"
}

// session is the runtime state of one [Client].
type session struct {
	decl    *Client
	conn    *client.Conn
	fullJID string
	queue   []queued
	recent  []*seen
	ended   error // set when the server ended the stream
	syncN   int
}

func (s *session) remember(st *xmlnode.Element) *seen {
	sn := &seen{st: st, status: "pending"}
	s.recent = append(s.recent, sn)
	if len(s.recent) > recentMax {
		s.recent = s.recent[len(s.recent)-recentMax:]
	}
	return sn
}

func (s *session) setStatus(st *xmlnode.Element, status string) {
	for _, sn := range s.recent {
		if sn.st == st {
			sn.status = status
		}
	}
}

type runner struct {
	s     *Script
	opts  Options
	ctx   context.Context
	res   *Result
	sess  map[string]*session
	order []*session // declaration order
	epoch int
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
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	start := time.Now()
	r := &runner{s: s, opts: opts, ctx: ctx, res: &Result{Script: s}, sess: map[string]*session{}}
	for _, c := range s.Clients {
		ss := &session{decl: c}
		r.sess[c.Name] = ss
		r.order = append(r.order, ss)
	}
	var fail *Failure
	for _, st := range s.Steps {
		r.tracef("%s:%d: %s", s.Path, st.Line, st)
		if fail = r.step(st); fail != nil {
			if fail.Step == nil {
				fail.Step = st
			}
			break
		}
	}
	if fail == nil {
		fail = r.finish()
	}
	r.closeAll()
	if r.res.Skipped > 0 {
		r.tracef("    lenient: %d stanza(s) the script does not mention were skipped", r.res.Skipped)
	}
	if fail != nil {
		fail.Path = s.Path
		r.res.Failure = fail
	}
	r.res.Duration = time.Since(start)
	return r.res
}

func (r *runner) tracef(format string, args ...any) {
	if r.opts.Verbose {
		r.res.Trace = append(r.res.Trace, fmt.Sprintf(format, args...))
	}
}

func (r *runner) failf(st *Step, format string, args ...any) *Failure {
	return &Failure{Step: st, Msg: fmt.Sprintf(format, args...)}
}

func (r *runner) domainFor(c *Client) string {
	if r.opts.Domain != "" {
		return r.opts.Domain
	}
	_, d, _ := strings.Cut(c.JID, "@")
	return d
}

// stanzas substitutes JIDs into a step's block and parses it.
func (r *runner) stanzas(st *Step) ([]*xmlnode.Element, error) {
	var missing string
	text, err := r.s.substitute(st.XML, func(c *Client, full bool) string {
		if !full {
			return c.JID
		}
		ss := r.sess[c.Name]
		if ss.fullJID == "" && missing == "" {
			missing = c.Name
		}
		return ss.fullJID
	})
	if err != nil {
		return nil, err
	}
	if missing != "" {
		return nil, fmt.Errorf("${%s's full JID} is used before %s connects", missing, missing)
	}
	return parseStanzas(text)
}

func (r *runner) step(st *Step) *Failure {
	ss := r.sess[st.Client]
	switch st.Action {
	case Connect:
		if ss.conn != nil {
			return r.failf(st, "%s is already connected", st.Client)
		}
		r.epoch++
		conn, err := client.Dial(r.ctx, r.opts.Addr, client.Config{
			JID: ss.decl.JID, Password: ss.decl.Password, Resource: ss.decl.Resource,
			Domain: r.opts.Domain, Timeout: r.opts.Timeout, Mechanism: r.opts.Mechanism,
		})
		if err != nil {
			return r.failf(st, "%s could not connect: %v", st.Client, err)
		}
		ss.conn, ss.fullJID, ss.ended, ss.queue = conn, conn.JID(), nil, nil
		r.tracef("    %s bound %s", st.Client, ss.fullJID)
		return r.settle(ss)
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
		if err != nil && !errors.Is(err, client.ErrClosed) {
			return r.failf(st, "%s: closing handshake: %v", st.Client, err)
		}
		return r.settle(nil)
	case Send:
		if ss.conn == nil {
			return r.failf(st, "%s sends while not connected", st.Client)
		}
		els, err := r.stanzas(st)
		if err != nil {
			return r.failf(st, "%v", err)
		}
		r.epoch++
		for _, el := range els {
			r.tracef("    %s -> %s", st.Client, compact(el))
			if err := ss.conn.Send(el); err != nil {
				return r.failf(st, "%s: send: %v", st.Client, err)
			}
		}
		return r.settle(ss)
	case Receive:
		if ss.conn == nil && len(ss.queue) == 0 {
			return r.failf(st, "%s receives while not connected", st.Client)
		}
		els, err := r.stanzas(st)
		if err != nil {
			return r.failf(st, "%v", err)
		}
		for _, el := range els {
			if f := r.receive(st, ss, el); f != nil {
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
	if r.opts.WaitIdle != nil {
		if err := r.opts.WaitIdle(r.ctx); err != nil {
			return &Failure{Msg: fmt.Sprintf("server did not become idle: %v", err)}
		}
	}
	if actor != nil && actor.conn != nil {
		if err := r.sync(actor); err != nil {
			return &Failure{Msg: err.Error()}
		}
	}
	for _, ss := range r.order {
		if ss != actor && ss.conn != nil {
			if err := r.sync(ss); err != nil {
				return &Failure{Msg: err.Error()}
			}
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
	ss.syncN++
	id := fmt.Sprintf("%s%d", syncPrefix, ss.syncN)
	iq := xmlnode.New(client.NSClient, "iq", "type", "get", "id", id, "to", r.domainFor(ss.decl))
	iq.AddChild("urn:xmpp:ping", "ping")
	if err := ss.conn.Send(iq); err != nil {
		ss.ended = err
		return nil
	}
	for {
		st, err := ss.conn.RecvContext(r.ctx)
		if err != nil {
			if r.ctx.Err() != nil {
				return fmt.Errorf("%s: no answer to the runner's sync ping: %w", ss.decl.Name, r.ctx.Err())
			}
			ss.ended = err
			r.tracef("    %s stream ended: %v", ss.decl.Name, err)
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

func isSync(st *xmlnode.Element) bool {
	return st.Name.Local == "iq" && strings.HasPrefix(st.Attrib("id"), syncPrefix) &&
		(st.Attrib("type") == "result" || st.Attrib("type") == "error")
}

func (r *runner) enqueue(ss *session, st *xmlnode.Element) {
	r.tracef("    %s <- %s", ss.decl.Name, compact(st))
	ss.queue = append(ss.queue, queued{st: st, epoch: r.epoch})
	ss.remember(st)
}

// receive consumes the first queued stanza that matches exp. Stanzas before
// it are skipped (lenient) or fail the script (strict).
func (r *runner) receive(st *Step, ss *session, exp *xmlnode.Element) *Failure {
	idx := -1
	for i, q := range ss.queue {
		if match.Matches(exp, q.st) {
			idx = i
			break
		}
	}
	if idx < 0 && r.opts.WaitIdle == nil && ss.conn != nil && ss.ended == nil {
		idx = r.await(ss, exp)
	}
	if idx < 0 {
		f := r.failf(st, "%s did not receive the expected stanza", st.Client)
		if ss.ended != nil {
			f.Msg += fmt.Sprintf(" (its stream ended: %v)", ss.ended)
		}
		f.Expected = match.Format(exp, nil, "")
		if best, m := closest(exp, ss.queue); best != nil {
			f.Received = match.FormatMismatch(best, m)
		} else {
			f.Received = "(nothing pending)"
		}
		r.addRecent(f, ss)
		return f
	}
	if idx > 0 && r.opts.Strict {
		m := match.Match(exp, ss.queue[0].st)
		f := r.failf(st, "strict: %s received a stanza the script does not expect before the expected one", st.Client)
		f.Expected = match.Format(exp, nil, "")
		f.Received = match.FormatMismatch(ss.queue[0].st, m)
		r.addRecent(f, ss)
		return f
	}
	for _, q := range ss.queue[:idx] {
		ss.setStatus(q.st, "skipped")
		r.res.Skipped++
		r.tracef("    %s skipped %s", ss.decl.Name, compact(q.st))
	}
	got := ss.queue[idx].st
	ss.setStatus(got, "matched")
	r.tracef("    %s matched %s", ss.decl.Name, compact(got))
	ss.queue = append(ss.queue[:0], ss.queue[idx+1:]...)
	return nil
}

// await waits (external servers only) for a late stanza matching exp,
// queueing whatever arrives meanwhile; it returns its queue index or -1.
func (r *runner) await(ss *session, exp *xmlnode.Element) int {
	ctx, cancel := context.WithTimeout(r.ctx, r.opts.ReceiveWait)
	defer cancel()
	for {
		st, err := ss.conn.RecvContext(ctx)
		if err != nil {
			if ctx.Err() == nil {
				ss.ended = err
			}
			return -1
		}
		if isSync(st) {
			continue
		}
		r.enqueue(ss, st)
		if match.Matches(exp, st) {
			r.res.Late++
			r.tracef("    %s: the stanza arrived after the sync (late)", ss.decl.Name)
			return len(ss.queue) - 1
		}
	}
}

// closest picks the queued stanza most like exp (the one whose first
// difference is deepest), to show next to the expected one.
func closest(exp *xmlnode.Element, q []queued) (*xmlnode.Element, *match.Mismatch) {
	var best *xmlnode.Element
	var bestM *match.Mismatch
	bestScore := -1
	for _, e := range q {
		m := match.Match(exp, e.st)
		score := 0
		if m != nil {
			score = strings.Count(m.Path, "/")
			if !strings.HasPrefix(m.Path, "/"+exp.Name.Local) || e.st.Name.Local != exp.Name.Local {
				score = 0
			}
		}
		if score > bestScore {
			best, bestM, bestScore = e.st, m, score
		}
	}
	return best, bestM
}

func (r *runner) addRecent(f *Failure, ss *session) {
	f.Client = ss.decl.Name
	for _, sn := range ss.recent {
		f.Recent = append(f.Recent, "["+sn.status+"] "+match.Format(sn.st, nil, ""))
	}
	if len(f.Recent) == 0 {
		f.Recent = []string{"(none)"}
	}
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
// unexpected stanzas.
func (r *runner) finish() *Failure {
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
// that an external server cleans up before the next script.
func (r *runner) closeAll() {
	for _, ss := range r.order {
		if ss.conn != nil {
			if err := ss.conn.Close(); err != nil && !errors.Is(err, client.ErrClosed) {
				r.tracef("    %s close: %v", ss.decl.Name, err)
			}
			ss.conn = nil
		}
	}
}

// compact is a stanza on one line as it travels in a client stream.
func compact(st *xmlnode.Element) string { return string(st.AppendTo(nil, client.NSClient)) }
