package router

import (
	"slices"
	"strconv"
	"time"

	"github.com/muctest/muctest/jidcheck"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/xmlnode"
)

// pendingIQ is an iq the server sent with SendIQ, waiting for its answer.
type pendingIQ struct {
	to    string // whom it was sent to: only they may answer
	done  func(module.Context, *xmlnode.Element, error)
	timer *time.Timer
}

// SendIQ implements module.Context.SendIQ. The lock is held.
func (tx *txn) SendIQ(iq *xmlnode.Element, timeout time.Duration, done func(module.Context, *xmlnode.Element, error)) {
	r := tx.r
	if r.closed {
		done(tx, nil, module.ErrClosed)
		return
	}
	from, id := r.iqHeader(iq.Attrib("from"), iq.Attrib("id"))
	iq.SetAttr("from", from)
	iq.SetAttr("id", id)
	r.await(id, iq.Attrib("to"), from, timeout, done)
	r.reply(tx, iq)
}

// SendIQLater implements module.Context.SendIQLater: the wait is
// registered now, and flush builds the iq, stamps it and routes it
// (sendLater) while it is still waited for. The lock is held.
func (tx *txn) SendIQLater(id, to, from string, build func() *xmlnode.Element, timeout time.Duration, done func(module.Context, *xmlnode.Element, error)) {
	r := tx.r
	if r.closed {
		done(tx, nil, module.ErrClosed)
		return
	}
	from, id = r.iqHeader(from, id)
	key, p := r.await(id, to, from, timeout, done)
	tx.later = append(tx.later, laterReply{
		build: func() *xmlnode.Element {
			iq := build()
			if iq != nil {
				iq.SetAttr("from", from)
				iq.SetAttr("id", id)
				iq.SetAttr("to", to)
			}
			return iq
		},
		iq: p, iqKey: key})
}

// iqHeader returns the "from" and "id" a server iq is sent with: the
// server's domain when from is "", a fresh id when id is "".
func (r *Router) iqHeader(from, id string) (string, string) {
	if from == "" {
		from = r.domain
	}
	if id == "" {
		r.iqSeq++
		id = "srv-" + strconv.FormatUint(r.iqSeq, 36)
	}
	return from, id
}

// await registers the wait for the answer to an iq with that id, to and
// from, and starts its timer. The lock is held.
func (r *Router) await(id, to, from string, timeout time.Duration, done func(module.Context, *xmlnode.Element, error)) (string, *pendingIQ) {
	nto := normJID(to)
	key := pendingKey(id, nto, normJID(from))
	p := &pendingIQ{to: nto, done: done}
	r.pending[key] = append(r.pending[key], p)
	r.wg.Add(1) // done by the timer's function, or by whoever stops it
	p.timer = time.AfterFunc(timeout, func() { r.expire(key, p) })
	return key, p
}

// sendLater routes a SendIQLater iq that build made (st; ok false when
// it panicked), if it is still waited for; a failed build ends the wait
// with ErrNotSent. The lock is held.
func (r *Router) sendLater(tx *txn, l laterReply, st *xmlnode.Element, ok bool) {
	i := slices.Index(r.pending[l.iqKey], l.iq)
	if i < 0 {
		return // timed out or cancelled first: done has run
	}
	if !ok || st == nil {
		r.dropPending(l.iqKey, i)
		if l.iq.timer.Stop() {
			r.wg.Done()
		}
		r.callDone(tx, l.iq, nil, module.ErrNotSent)
		return
	}
	defer func() {
		if v := recover(); v != nil {
			r.logPanic(v, "routing a later iq", "to", st.Attrib("to"))
		}
	}()
	r.reply(tx, st)
}

// expire is the SendIQ timer: the answer did not come in time.
func (r *Router) expire(key string, p *pendingIQ) {
	defer r.wg.Done()
	tx := &txn{r: r}
	r.mu.Lock()
	if i := slices.Index(r.pending[key], p); i >= 0 {
		r.dropPending(key, i)
		r.callDone(tx, p, nil, module.ErrTimeout)
	}
	r.mu.Unlock()
	r.flush(tx)
}

// dropPending removes the i-th iq waiting under key.
func (r *Router) dropPending(key string, i int) {
	l := slices.Delete(r.pending[key], i, i+1)
	if len(l) == 0 {
		delete(r.pending, key)
	} else {
		r.pending[key] = l
	}
}

// answered takes an iq result or error addressed to at (the server's
// domain or an account's bare JID) and gives it to the SendIQ waiting for
// it; it reports whether one was. Iqs sent with the same id, to the same
// JID, from the same JID are answered in the order they were sent. The
// lock is held.
func (r *Router) answered(tx *txn, st *xmlnode.Element, at string) bool {
	if len(r.pending) == 0 {
		return false
	}
	key := pendingKey(st.Attrib("id"), normJID(st.Attrib("from")), normJID(at))
	l := r.pending[key]
	if len(l) == 0 {
		return false
	}
	p := l[0]
	r.dropPending(key, 0)
	if p.timer.Stop() {
		r.wg.Done()
	}
	r.callDone(tx, p, st, nil)
	return true
}

// pendingKey keys a SendIQ by its id, its recipient and its sender (both
// normalised), so that two modules may each have an iq with the same id
// out (Prosody's PEP asks every caps query with the id "disco", from each
// account's bare JID): an answer is the one from to whom the query went,
// to whom it came from.
func pendingKey(id, to, from string) string { return id + "\x00" + to + "\x00" + from }

// normJID returns the normalised form of a JID string, or s itself when it
// does not parse.
func normJID(s string) string {
	j, err := jidcheck.ParseFast(s)
	if err != nil {
		return s
	}
	return j.String()
}

// cancelPending gives ErrClosed to every pending SendIQ. The lock is held.
func (r *Router) cancelPending(tx *txn) {
	for key, l := range r.pending {
		delete(r.pending, key)
		for _, p := range l {
			if p.timer.Stop() {
				r.wg.Done()
			}
			r.callDone(tx, p, nil, module.ErrClosed)
		}
	}
}

func (r *Router) callDone(tx *txn, p *pendingIQ, st *xmlnode.Element, err error) {
	defer func() {
		if v := recover(); v != nil {
			r.logPanic(v, "SendIQ callback")
		}
	}()
	p.done(tx, st, err)
}
