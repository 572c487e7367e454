package router

import (
	"strconv"
	"time"

	"mellium.im/xmpp/jid"

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
	if iq.Attrib("from") == "" {
		iq.SetAttr("from", r.domain)
	}
	id := iq.Attrib("id")
	if id == "" || r.pending[id] != nil {
		r.iqSeq++
		id = "srv-" + strconv.FormatUint(r.iqSeq, 36)
		iq.SetAttr("id", id)
	}
	p := &pendingIQ{to: iq.Attrib("to"), done: done}
	r.pending[id] = p
	r.wg.Add(1) // done by the timer's function, or by whoever stops it
	p.timer = time.AfterFunc(timeout, func() { r.expire(id, p) })
	r.reply(tx, iq)
}

// expire is the SendIQ timer: the answer did not come in time.
func (r *Router) expire(id string, p *pendingIQ) {
	defer r.wg.Done()
	tx := &txn{r: r}
	r.mu.Lock()
	if r.pending[id] == p {
		delete(r.pending, id)
		r.callDone(tx, p, nil, module.ErrTimeout)
	}
	r.mu.Unlock()
	r.flush(tx)
}

// answered takes an iq result or error addressed to the server or an
// account and gives it to the SendIQ waiting for it; it reports whether
// one was. The lock is held.
func (r *Router) answered(tx *txn, st *xmlnode.Element) bool {
	if len(r.pending) == 0 {
		return false
	}
	id := st.Attrib("id")
	p := r.pending[id]
	if p == nil {
		return false
	}
	from, err := jid.Parse(st.Attrib("from"))
	to, err2 := jid.Parse(p.to)
	if err != nil || err2 != nil || !from.Equal(to) {
		return false
	}
	delete(r.pending, id)
	if p.timer.Stop() {
		r.wg.Done()
	}
	r.callDone(tx, p, st, nil)
	return true
}

// cancelPending gives ErrClosed to every pending SendIQ. The lock is held.
func (r *Router) cancelPending(tx *txn) {
	for id, p := range r.pending {
		delete(r.pending, id)
		if p.timer.Stop() {
			r.wg.Done()
		}
		r.callDone(tx, p, nil, module.ErrClosed)
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
