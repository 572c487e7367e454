package c2s

import (
	"github.com/muctest/muctest/netpoll"

	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"mellium.im/xmpp/stream"

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
	c := s.out.tail()
	n := len(c.b)
	c.b = st.AppendTo(c.b, NSClient)
	s.queuedLocked(len(c.b)-n, false)
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
	c := s.out.tail()
	n := len(c.b)
	c.b = st.AppendToAttr(c.b, NSClient, "to", to)
	s.queuedLocked(len(c.b)-n, false)
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
	c := s.out.tail()
	c.b = append(c.b, b...)
	s.queuedLocked(len(b), final)
	if s.cfg.Trace {
		s.log.Debug("c2s: out", "xml", string(b))
	}
	return true
}

// admitLocked reports whether one more stanza may be queued, making sure
// out is there to take it. A queue holding MaxQueue stanzas means the
// client does not read fast enough: the session is dropped (queuedLocked
// does the same for Limits.MaxQueueBytes).
func (s *Session) admitLocked() bool {
	if !s.bound || s.closing {
		return false
	}
	max := s.cfg.MaxQueue
	if max <= 0 {
		max = DefaultMaxQueue
	}
	if int(s.queued) >= max {
		s.overflowLocked()
		return false
	}
	if s.out == nil {
		s.out = getOutBuf()
	}
	return true
}

// queuedLocked records one stanza of n bytes appended to out and makes sure
// a writer will write it. A queue over Limits.MaxQueueBytes ends the
// session (overflowLocked).
func (s *Session) queuedLocked(n int, final bool) {
	s.queued++
	s.qbytes += n
	if final {
		s.closing = true
		s.settleQueueLocked()
	} else if s.qbytes > s.limits.MaxQueueBytes || !s.settleQueueLocked() {
		s.overflowLocked()
		return
	}
	s.startWriterLocked()
}

// overflowLocked ends a session whose client does not read what it is
// sent: everything queued and not yet handed to the kernel is dropped at
// once (its chunks left to the collector rather than pooled, so that one
// flood does not fill the pool), and the queue is replaced by a
// resource-constraint stream error (RFC 6120 section 4.9.3.17: the server
// will not hold more for this stream). The write in progress, at most
// maxBatch bytes, and then the error, are written for as long as the
// client keeps reading (overflowProgress), up to the close timeout; a
// client that reads nothing for overflowStep is closed at once. Either way
// the reader learns of it from its next read and tears down.
func (s *Session) overflowLocked() {
	s.log.Warn("c2s: outbound queue full, disconnecting slow client", "queued", s.queued, "bytes", s.qbytes)
	s.out = getOutBuf()
	c := s.out.tail()
	c.b = append(c.b, streamErrorBytes(errQueueFull.cond, errQueueFull.text)...)
	s.queued, s.qbytes = 1, len(c.b)
	s.settleQueueLocked()
	s.closing = true
	s.overflow = &overflow{
		end:       time.Now().Add(min(closeTimeout, s.limits.WriteTimeout)),
		delivered: -netpoll.Unsent(s.raw),
	}
	s.armOverflowWriteLocked()
	s.startWriterLocked()
}

// overflowStep is how long an overflowing session's client may read
// nothing before it is closed, unless Limits.OverflowStep says otherwise.
// A variable only so that tests of the overflow need not wait it out.
var overflowStep = time.Second

// armOverflowWriteLocked gives the next write of an overflowing session
// its overflow step, within overflow.end. s.mu is held.
func (s *Session) armOverflowWriteLocked() {
	step := overflowStep
	if s.limits.OverflowStep > 0 {
		step = s.limits.OverflowStep
	}
	at := time.Now().Add(step)
	if s.overflow.end.Before(at) {
		at = s.overflow.end
	}
	s.setWriteDeadline(at)
}

// overflowProgress reports whether a write that timed out with err, after
// handing n bytes to the kernel, should go on: the session has overflowed
// (meanwhile, perhaps), its client has taken bytes since the last look (it
// reads, slowly: what the writer handed to the kernel less what the
// kernel's send queue still holds has grown), the close timeout has not
// run out, and the connection is not TLS (whose writes cannot resume
// after a timeout). It then arms the next step.
func (s *Session) overflowProgress(n int, err error) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.overflow
	if o == nil {
		return false
	}
	o.handed += n
	var ne net.Error
	if s.secure || !errors.As(err, &ne) || !ne.Timeout() || !time.Now().Before(o.end) {
		return false
	}
	unsent := netpoll.Unsent(s.raw)
	delivered := o.handed - unsent
	if unsent < 0 || delivered <= o.delivered {
		return false
	}
	o.delivered = delivered
	s.armOverflowWriteLocked()
	return true
}

// errQueueFull is the stream error of a session over its queue limits.
var errQueueFull = &streamErr{cond: stream.ResourceConstraint, text: "too much data queued for a client that does not read"}

// startWriterLocked starts the writer goroutine unless one runs, or the
// session still holds its negotiation writes (hold.go: the bind's
// releaseHeldLocked starts it, behind them). The session counts as busy
// (Config.Busy) for as long as a writer runs, which covers every queued
// stanza until it is written.
func (s *Session) startWriterLocked() {
	if s.writing || s.holding {
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
	wrote := 0        // bytes the last batch handed to the kernel, for overflow.handed
	for {
		s.mu.Lock()
		// Counted here rather than under a lock of its own after each
		// write: the count matters only once overflowed, and overflowLocked
		// may run between a write and either lock alike.
		if s.overflow != nil {
			s.overflow.handed += wrote
		}
		wrote = 0
		if s.dead || s.qbytes == 0 {
			if !s.closing {
				// Idle: let the buffers and this goroutine go.
				s.writing = false
				out := s.out
				s.out = nil
				s.queued = 0
				if s.dead {
					s.releaseQueueLocked() // what it had queued is gone
				}
				// Counted idle before the lock goes: a teardown that takes
				// it next, starts the closing writer and sees the session
				// end must not see this writer still counted busy after
				// Done (FuzzSession found the window).
				s.busy(-1)
				s.mu.Unlock()
				if hook := testHookWriterIdle.Load(); hook != nil {
					(*hook)(s)
				}
				putOutBuf(out)
				putOutBuf(spare)
				return
			}
			// Whatever ends the writer (final item written, write error,
			// overflow) ends the connection, which also unblocks the
			// reader. writing stays true: no writer starts again.
			s.queued, s.qbytes, s.out = 0, 0, nil
			s.settleQueueLocked()
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
		var batch *outBuf
		if s.qbytes <= maxBatch {
			// The common case, the whole queue: out itself is the batch,
			// and the previous batch's buffer (if any) the next out.
			batch, s.out, spare = s.out, spare, nil
			s.queued, s.qbytes = 0, 0
		} else {
			if spare == nil {
				spare = getOutBuf()
			}
			batch, spare = spare, nil
			s.qbytes -= s.out.takeFront(batch, maxBatch)
		}
		s.settleQueueLocked()
		closing, overflowed := s.closing, s.overflow != nil
		s.mu.Unlock()
		s.armWrite(closing, overflowed)
		n, err := batch.writeFrom(s.outConn(), 0)
		written := n
		for err != nil && s.overflowProgress(n, err) {
			n, err = batch.writeFrom(s.outConn(), written)
			written += n
		}
		if !s.secure {
			// Straight to raw, past trackedConn's count (before the
			// writer stops counting as busy).
			s.wbytes.Add(int64(written))
		}
		if err == nil {
			wrote = n // counted only once overflowed
		}
		if err != nil {
			s.mu.Lock()
			s.closing, s.dead = true, true
			s.mu.Unlock()
		}
		batch.reset()
		spare = batch
	}
}

// testHookWriterIdle, when set by a test, runs in a writer that has just
// gone idle, after it has let go of the session's lock. Atomic: writers
// outlive the sessions of the test that set it.
var testHookWriterIdle atomic.Pointer[func(*Session)]

// maxBatch bounds the bytes one write takes off the queue (a few chunks
// per writev(2)): what the writer holds while a write waits for a client
// that does not read, and so what an overflowing session keeps until the
// close deadline, the rest of its queue being dropped at once.
const maxBatch = 64 << 10

// outConn is what the writer writes to: the TCP connection itself unless
// TLS wraps it, so that a batch of chunks goes out in one writev(2)
// (net.Buffers only gathers for the net package's own connections).
func (s *Session) outConn() io.Writer {
	if s.secure {
		return s.conn
	}
	return s.raw
}

// outBuf is a session's outbound queue: serialised stanzas waiting for the
// writer, in pooled fixed-size chunks rather than one growing buffer, so
// that a burst (a joiner's occupant list, a backlog of groupchat) costs
// chunks taken from and given back to the pool instead of a buffer
// reallocated at every doubling and dropped when too large to keep. The
// writer hands all chunks to the kernel at once. Chunks and outBufs are
// pooled across sessions, so memory follows the sessions that are writing
// rather than every session's largest burst.
type outBuf struct {
	chunks []*chunk
	iov    net.Buffers // the writer's scratch list of the chunks' bytes
}

// chunk is one pooled piece of an outBuf.
type chunk struct{ b []byte }

// A chunk holds chunkSize bytes; one with less than chunkRoom left takes no
// more stanzas (a stanza that does not fit grows its chunk, which is then
// pooled again only up to maxPooledChunk).
const (
	chunkSize      = 4096
	chunkRoom      = 512
	maxPooledChunk = 16 << 10
)

// An outBuf comes from its pool with a first chunk attached and goes back
// with it, so the common batch (a few stanzas) costs one pool round trip;
// further chunks come from chunkPool.
var (
	outPool   = sync.Pool{New: func() any { return &outBuf{chunks: []*chunk{newChunk()}} }}
	chunkPool = sync.Pool{New: func() any { return newChunk() }}
)

func newChunk() *chunk { return &chunk{b: make([]byte, 0, chunkSize)} }

func getOutBuf() *outBuf { return outPool.Get().(*outBuf) }

func putOutBuf(o *outBuf) {
	if o == nil {
		return
	}
	o.reset()
	outPool.Put(o)
}

// tail returns the chunk the next stanza is appended to.
func (o *outBuf) tail() *chunk {
	// A chunk a big stanza grew takes no more: chunks stay about
	// chunkSize, so that a batch (maxBatch) is a few of them.
	if c := o.chunks[len(o.chunks)-1]; len(c.b) < chunkSize && cap(c.b)-len(c.b) >= chunkRoom {
		return c
	}
	c := chunkPool.Get().(*chunk)
	o.chunks = append(o.chunks, c)
	return c
}

// takeFront moves the chunks at the front of o, up to max bytes but at
// least one chunk, to dst (as it comes from the pool: one empty chunk) and
// returns how many bytes it moved. An outBuf always has a chunk to append
// to, so o gets a fresh one if every chunk was moved.
func (o *outBuf) takeFront(dst *outBuf, max int) int {
	n, k := 0, 0
	for k < len(o.chunks) && (k == 0 || n+len(o.chunks[k].b) <= max) {
		n += len(o.chunks[k].b)
		k++
	}
	// dst comes with one empty pooled chunk; swap it for ours.
	chunkPool.Put(dst.chunks[0])
	dst.chunks = append(dst.chunks[:0], o.chunks[:k]...)
	rest := copy(o.chunks, o.chunks[k:])
	clear(o.chunks[rest:])
	o.chunks = o.chunks[:rest]
	if len(o.chunks) == 0 {
		o.chunks = append(o.chunks, chunkPool.Get().(*chunk))
	}
	return n
}

// writeTo writes every chunk to w, with one writev(2) where w allows.
func (o *outBuf) writeTo(w io.Writer) error {
	_, err := o.writeFrom(w, 0)
	return err
}

// writeFrom writes the chunks' bytes after the first skip to w, with one
// writev(2) where w allows, and returns how many it wrote: a write cut
// short by a deadline resumes with skip set to what was written.
func (o *outBuf) writeFrom(w io.Writer, skip int) (int, error) {
	if len(o.chunks) == 1 { // the common case: a plain write(2)
		return w.Write(o.chunks[0].b[skip:])
	}
	o.iov = o.iov[:0]
	for _, c := range o.chunks {
		b := c.b
		if skip >= len(b) {
			skip -= len(b)
			continue
		}
		o.iov = append(o.iov, b[skip:])
		skip = 0
	}
	// WriteTo consumes the list it is called on: give it a copy of the
	// header, so that o.iov keeps its backing array for the next batch.
	iov := o.iov
	n, err := iov.WriteTo(w)
	clear(o.iov)
	return int(n), err
}

// reset empties o: it keeps its first chunk and gives the others back to
// chunkPool (a chunk grown past maxPooledChunk by a huge stanza is dropped,
// the first one replaced).
func (o *outBuf) reset() {
	first := o.chunks[0]
	if cap(first.b) > maxPooledChunk {
		first = newChunk()
	}
	first.b = first.b[:0]
	for _, c := range o.chunks[1:] {
		if cap(c.b) <= maxPooledChunk {
			c.b = c.b[:0]
			chunkPool.Put(c)
		}
	}
	clear(o.chunks[1:])
	o.chunks = append(o.chunks[:0], first)
}
