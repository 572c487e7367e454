package c2s

import (
	"sync"

	"github.com/muctest/muctest/xmlnode"
)

// Send queues st for writing to the client. It serialises st at once, so the
// caller may keep modifying or reuse st afterwards. It never blocks on the
// network; stanzas sent to a closing session are dropped.
func (s *Session) Send(st *xmlnode.Element) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.admitLocked() {
		return
	}
	s.out.b = st.AppendTo(s.out.b, NSClient)
	s.queuedLocked(false)
	if s.cfg.Trace {
		s.log.Debug("c2s: out", "xml", st.String())
	}
}

// SendTo queues st addressed to "to": the bytes are those Send would queue
// for a copy of st with its "to" attribute set to to, but no copy is made
// (xmlnode's AppendToAttr). The router uses it to hand one stanza, such as
// a MUC broadcast, to many recipients without allocating per recipient.
// Like Send, it serialises st at once and keeps no reference to it.
func (s *Session) SendTo(st *xmlnode.Element, to string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.admitLocked() {
		return
	}
	s.out.b = st.AppendToAttr(s.out.b, NSClient, "to", to)
	s.queuedLocked(false)
	if s.cfg.Trace {
		s.log.Debug("c2s: out", "xml", st.ShallowCopy().SetAttr("to", to).String())
	}
}

// enqueue appends the serialised b to the outbound queue; final marks the
// last item (the stream close), after which nothing more is accepted.
func (s *Session) enqueue(b []byte, final bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.admitLocked() {
		return false
	}
	s.out.b = append(s.out.b, b...)
	s.queuedLocked(final)
	if s.cfg.Trace {
		s.log.Debug("c2s: out", "xml", string(b))
	}
	return true
}

// admitLocked reports whether one more stanza may be queued, making sure
// out is there to take it. A full queue means the client does not read
// fast enough: the session is dropped.
func (s *Session) admitLocked() bool {
	if !s.bound || s.closing {
		return false
	}
	max := s.cfg.MaxQueue
	if max <= 0 {
		max = DefaultMaxQueue
	}
	if s.queued >= max {
		s.log.Warn("c2s: outbound queue full, disconnecting slow client", "queued", s.queued)
		s.closing, s.dead = true, true
		_ = s.raw.Close()
		s.startWriterLocked()
		return false
	}
	if s.out == nil {
		s.out = getOutBuf()
	}
	return true
}

// queuedLocked records one stanza appended to out and makes sure a writer
// will write it.
func (s *Session) queuedLocked(final bool) {
	s.queued++
	if final {
		s.closing = true
	}
	s.startWriterLocked()
}

// startWriterLocked starts the writer goroutine unless one runs. The
// session counts as busy (Config.Busy) for as long as a writer runs, which
// covers every queued stanza until it is written.
func (s *Session) startWriterLocked() {
	if s.writing {
		return
	}
	s.writing = true
	s.busy(1)
	go s.writer()
}

// writer drains the queue to the socket. It exits when the queue is empty,
// handing its buffers back to the pool, and a later Send starts a new one;
// once the session is closing, the writer that finds the queue empty (or
// the connection dead) closes the connection and wdone instead.
func (s *Session) writer() {
	var spare *outBuf // the buffer of the previous batch, for reuse
	for {
		s.mu.Lock()
		if s.dead || s.queued == 0 {
			if !s.closing {
				// Idle: let the buffers and this goroutine go.
				s.writing = false
				out := s.out
				s.out = nil
				s.mu.Unlock()
				putOutBuf(out)
				putOutBuf(spare)
				s.busy(-1)
				return
			}
			// Whatever ends the writer (final item written, write error,
			// overflow) ends the connection, which also unblocks the
			// reader. writing stays true: no writer starts again.
			s.queued, s.out = 0, nil
			s.mu.Unlock()
			putOutBuf(spare)
			_ = s.conn.Close()
			// A parked reader would never learn of the close (a closed
			// descriptor leaves the epoll set silently): start it, so that
			// its read fails and it tears the session down.
			s.wake()
			s.busy(-1)
			close(s.wdone) // last: teardown waits for it
			return
		}
		batch := s.out
		s.out, spare = spare, nil
		s.queued = 0
		closing := s.closing
		s.mu.Unlock()
		s.armWrite(closing)
		_, err := s.conn.Write(batch.b)
		if err != nil {
			s.mu.Lock()
			s.closing, s.dead = true, true
			s.mu.Unlock()
		}
		batch.b = batch.b[:0]
		spare = batch
	}
}

// outBuf is a session's outbound buffer: serialised stanzas waiting for
// the writer. Buffers are pooled across sessions, so that memory follows
// the sessions that are writing rather than every session's largest burst.
type outBuf struct{ b []byte }

// Buffers are handed out with room for a few typical stanzas, and kept
// in the pool only up to maxPooledOut: a rare huge burst does not pin its
// buffer forever.
const (
	initialOut   = 2048
	maxPooledOut = 16 << 10
)

var outPool = sync.Pool{New: func() any { return &outBuf{b: make([]byte, 0, initialOut)} }}

func getOutBuf() *outBuf { return outPool.Get().(*outBuf) }

func putOutBuf(o *outBuf) {
	if o == nil || cap(o.b) > maxPooledOut {
		return
	}
	o.b = o.b[:0]
	outPool.Put(o)
}
