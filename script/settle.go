package script

import (
	"context"
	"fmt"
	"time"

	"github.com/muctest/muctest/server"
)

// settleCounted is settle against an in-process server that reports byte
// counts (Options.connBytes): no ping per client per step. It waits for
// the server to have read every byte each client wrote (a session counts
// itself busy before it counts bytes read, so nothing is lost between the
// kernel handing them over and the session starting on them), then for the
// server to be idle (server.WaitHandled: the counts leave no unread socket
// input to look for, except on a component's stream, when WaitIdle looks),
// then for each client to have read and decoded every
// byte its session wrote. Components, whose sessions the count does not
// cover, still settle with a ping; id is the actor's ping already sent,
// if any.
func (r *runner) settleCounted(actor *session, id string) *Failure {
	var pinged []*session
	var ids []string
	if actor != nil && id != "" {
		pinged, ids = append(pinged, actor), append(ids, id)
	}
	counted, f := r.settleServer()
	if f != nil {
		return f
	}
	k := 0 // the next of r.wants, when counted
	for _, ss := range r.order {
		if ss.conn == nil || ss.ended != nil {
			continue
		}
		if ss.decl.Component {
			if ss == actor && id != "" {
				continue
			}
			if pid, ok := r.ping(ss); ok {
				pinged, ids = append(pinged, ss), append(ids, pid)
			}
			continue
		}
		want := int64(-1)
		if counted && k < len(r.wants) && r.wants[k].Remote == ss.addr {
			want = r.wants[k].Written
			k++
		} else if _, w, ok := r.opts.connBytes(ss.addr); ok {
			want = w
		}
		if want < 0 {
			want = 1<<62 - 1 // a session gone: its stream's end
		}
		if err := ss.conn.AwaitRead(r.ctx, want); err != nil {
			return &Failure{Msg: fmt.Sprintf("%s: did not receive all the server sent: %v", ss.decl.Name, err)}
		}
		r.drain(ss)
	}
	for i, ss := range pinged {
		if err := r.awaitPong(ss, ids[i]); err != nil {
			return &Failure{Msg: err.Error()}
		}
	}
	return nil
}

// settleServer waits for the server to have read what every client wrote
// and then to be idle: with waitSettled in one wait, where every stream
// is counted, which leaves each client's session's written count in
// r.wants (counted); with a component connected, whose stream is not,
// each client's count with waitRead and then WaitIdle, whose look for
// unread input covers the component.
func (r *runner) settleServer() (counted bool, f *Failure) {
	component := false
	r.wants = r.wants[:0]
	for _, ss := range r.order {
		if ss.conn != nil && ss.decl.Component {
			component = true
		}
		if ss.conn == nil || ss.decl.Component || ss.ended != nil {
			continue
		}
		r.wants = append(r.wants, server.ReadWant{Remote: ss.addr, N: ss.conn.Written()})
	}
	if !component && r.opts.waitSettled != nil {
		if r.settled == nil {
			r.settled = func(ctx context.Context) error { return r.opts.waitSettled(ctx, r.wants) }
		}
		if err := r.waitServer(r.settled); err != nil {
			return false, &Failure{Msg: r.settleError(err)}
		}
		return true, nil
	}
	for _, ss := range r.order {
		if ss.conn == nil || ss.decl.Component || ss.ended != nil {
			continue
		}
		if err := r.awaitServerRead(ss); err != nil {
			return false, &Failure{Msg: err.Error()}
		}
	}
	wait := r.opts.waitHandled
	if component || wait == nil {
		wait = r.opts.WaitIdle
	}
	if err := r.waitServer(wait); err != nil {
		return false, &Failure{Msg: fmt.Sprintf("server did not become idle: %v", err)}
	}
	return false, nil
}

// settleError words a failed waitSettled as the two waits it stands for
// would have: the first client whose stream the server has not read all
// of, else the server that did not become idle.
func (r *runner) settleError(err error) string {
	for _, w := range r.wants {
		if got, _, ok := r.opts.connBytes(w.Remote); ok && got < w.N {
			for _, ss := range r.order {
				if ss.addr == w.Remote && ss.conn != nil {
					return fmt.Sprintf("%s: the server did not read what it sent: %v", ss.decl.Name, err)
				}
			}
		}
	}
	return fmt.Sprintf("server did not become idle: %v", err)
}

// inlineGrace is how long waitServer lets the server work while the
// clients read nothing (client.Config.ReadInline) before it has them read
// in the background. A step's work takes microseconds; one that takes
// longer may be writing more to a client than its socket holds, and would
// then never end.
const inlineGrace = 20 * time.Millisecond

// waitServer waits with wait for the in-process server to be idle. While
// clients read inline, nothing reads their sockets meanwhile: should the
// wait last inlineGrace, a timer hands the clients' streams to reader
// goroutines for the rest of the run (so is every stream opened later:
// readInline), and the wait goes on. The timer is the runner's, re-armed
// for every wait: nothing is allocated per step.
func (r *runner) waitServer(wait func(context.Context) error) error {
	if r.background || !r.anyInline() {
		return wait(r.ctx)
	}
	r.graceMu.Lock()
	r.graceArmed = true
	r.graceMu.Unlock()
	if r.grace == nil {
		r.grace = time.AfterFunc(inlineGrace, r.toBackground)
	} else {
		r.grace.Reset(inlineGrace)
	}
	err := wait(r.ctx)
	r.grace.Stop()
	// A timer that fired finds graceArmed false once this lock is let go,
	// or has handed the streams over before it is taken.
	r.graceMu.Lock()
	r.graceArmed = false
	r.graceMu.Unlock()
	if r.background && !r.backgroundTraced {
		r.backgroundTraced = true
		r.tracef("    the server was still busy after %v: the clients read in the background from now on", inlineGrace)
	}
	return err
}

// toBackground is the grace timer's: while waitServer waits, it hands
// every client stream to a reader goroutine.
func (r *runner) toBackground() {
	r.graceMu.Lock()
	defer r.graceMu.Unlock()
	if !r.graceArmed {
		return
	}
	r.background = true
	for _, ss := range r.order {
		if ss.conn != nil {
			ss.conn.ReadInBackground()
		}
	}
}

// anyInline reports whether a connected client's stream may be read inline.
func (r *runner) anyInline() bool {
	for _, ss := range r.order {
		if ss.conn != nil && !ss.decl.Component {
			return true
		}
	}
	return false
}

// awaitServerRead waits until the server's session for ss has read all ss
// wrote, or has ended (server.Server.WaitRead: no polling).
func (r *runner) awaitServerRead(ss *session) error {
	if err := r.opts.waitRead(r.ctx, ss.addr, ss.conn.Written()); err != nil {
		return fmt.Errorf("%s: the server did not read what it sent: %w", ss.decl.Name, err)
	}
	return nil
}

// drain queues what ss has received (AwaitRead made sure it is all there)
// and records the end of its stream if it ended.
func (r *runner) drain(ss *session) {
	for {
		st, err, ok := ss.conn.TryRecv()
		if !ok {
			return
		}
		if err != nil {
			r.ended(ss, err)
			return
		}
		if !isSync(st) {
			r.enqueue(ss, st)
		}
	}
}
