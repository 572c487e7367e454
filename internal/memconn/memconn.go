// Package memconn holds an in-memory pair of connected net.Conns, each
// direction a bounded buffer, for a server and its clients in one process
// (the in-process scansion runner's): a write is a copy into the peer's
// buffer and a read a copy out of it, with no system call, descriptor or
// poller registration, yet with what a server relies on from a stream
// socket (RFC 793's byte stream, as TCP on loopback gives it):
//
//   - buffered: a Write returns as soon as its bytes are in the buffer,
//     unlike net.Pipe, whose writes wait for a reader to take them (a server
//     and a client that both write before reading deadlock on it);
//   - bounded: a writer blocks while the peer's buffer holds Size bytes, as
//     on a socket whose peer does not read, so a server's protections
//     against slow readers (write deadlines, queue limits) still apply;
//   - deadlines: SetDeadline, SetReadDeadline and SetWriteDeadline as the
//     net package has them (a read or write past its deadline fails with
//     an error that wraps os.ErrDeadlineExceeded, also one blocked already);
//   - Close and half-close: Close fails the end's blocked and later reads
//     and writes with net.ErrClosed, the peer reads what was buffered and
//     then io.EOF, and the peer's writes fail (EPIPE, as on a socket whose
//     peer has gone); CloseWrite is TCP's half-close, the peer reading
//     io.EOF after the buffered bytes while this end still reads.
//
// A Conn starts no goroutine: a deadline is a timer that fires only once
// it has passed, and Close stops the timers.
package memconn

import (
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// DefaultSize is the bytes buffered in each direction when Pair's size is
// 0 or less: about what a Unix socket pair's send and receive buffers hold
// on Linux (net.core.wmem_default, 208 KiB), so that a writer blocks about
// when it would have on the socket pair this stands in for.
const DefaultSize = 208 << 10

// Pair returns two connected ends: what one writes the other reads. a's
// LocalAddr is aAddr and its RemoteAddr bAddr, and b the other way round.
// size bounds the bytes buffered in each direction (DefaultSize when 0 or
// less).
func Pair(aAddr, bAddr net.Addr, size int) (a, b *Conn) {
	if size <= 0 {
		size = DefaultSize
	}
	// One allocation for both ends and both directions.
	p := new(struct {
		ends   [2]Conn
		ab, ba pipe
	})
	p.ab.init(size)
	p.ba.init(size)
	p.ends[0] = Conn{in: &p.ba, out: &p.ab, local: aAddr, remote: bAddr}
	p.ends[1] = Conn{in: &p.ab, out: &p.ba, local: bAddr, remote: aAddr}
	return &p.ends[0], &p.ends[1]
}

// Conn is one end of a Pair. It is safe for concurrent use, as net.Conn
// requires.
type Conn struct {
	in, out       *pipe // in: what this end reads; out: what it writes
	local, remote net.Addr
}

var _ net.Conn = (*Conn)(nil)

// Read reads what the peer has written, waiting for at least one byte
// unless the peer has closed its writing side (io.EOF once the buffer is
// empty), this end is closed (net.ErrClosed) or the read deadline passes
// (os.ErrDeadlineExceeded).
func (c *Conn) Read(b []byte) (int, error) {
	n, err := c.in.read(b)
	if err != nil && err != io.EOF {
		err = c.opError("read", err)
	}
	return n, err
}

// Write writes all of b to the peer's buffer, waiting for room while it
// holds its size; it fails once this end is closed (net.ErrClosed) or has
// shut its writing side, or the peer has closed (EPIPE), or the write
// deadline passes (os.ErrDeadlineExceeded), and then returns how many
// bytes went into the buffer before.
func (c *Conn) Write(b []byte) (int, error) {
	n, err := c.out.write(b)
	if err != nil {
		err = c.opError("write", err)
	}
	return n, err
}

// Close closes both directions of this end: its reads and writes, blocked
// or later, fail with net.ErrClosed; the peer reads what is buffered and
// then io.EOF, and its writes fail. Closing again returns net.ErrClosed
// (wrapped), as a socket does.
func (c *Conn) Close() error {
	first := c.in.closeRead()
	c.out.closeWrite(true)
	if !first {
		return c.opError("close", net.ErrClosed)
	}
	return nil
}

// CloseWrite shuts this end's writing side (TCP's half-close): the peer
// reads what is buffered and then io.EOF, while this end still reads.
func (c *Conn) CloseWrite() error {
	if c.in.isReadClosed() {
		return c.opError("close", net.ErrClosed)
	}
	c.out.closeWrite(false)
	return nil
}

// LocalAddr returns the address Pair gave this end.
func (c *Conn) LocalAddr() net.Addr { return c.local }

// RemoteAddr returns the address Pair gave the peer.
func (c *Conn) RemoteAddr() net.Addr { return c.remote }

// SetDeadline sets the read and the write deadline.
func (c *Conn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

// SetReadDeadline sets when reads stop waiting (the zero time: never),
// including one waiting already; a time in the past fails reads at once.
func (c *Conn) SetReadDeadline(t time.Time) error {
	if !c.in.setDeadline(&c.in.rdl, t) {
		return c.opError("set", net.ErrClosed)
	}
	return nil
}

// SetWriteDeadline sets when writes stop waiting for room (the zero
// time: never), including one waiting already; bytes written before it
// passed stay written.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	if !c.out.setDeadline(&c.out.wdl, t) {
		return c.opError("set", net.ErrClosed)
	}
	return nil
}

// Buffered returns how many bytes the peer has written that this end has
// not read yet: what a socket's receive queue would hold (TIOCINQ).
func (c *Conn) Buffered() int { return c.in.buffered() }

// opError words err as the net package does for a socket: an *net.OpError
// naming the operation and both addresses.
func (c *Conn) opError(op string, err error) error {
	netw := "mem"
	if c.local != nil {
		netw = c.local.Network()
	}
	return &net.OpError{Op: op, Net: netw, Source: c.local, Addr: c.remote, Err: err}
}

// errBrokenPipe is a write's error once the peer has closed its end or
// this end has shut its writing side, as write(2) words it on a socket.
var errBrokenPipe = os.NewSyscallError("write", syscall.EPIPE)

// pooledSize is the size of the pooled buffers a direction starts with:
// what a server writes to a client in one go, mostly (a burst past it
// grows a buffer of its own).
const pooledSize = 4 << 10

// bufPool holds the buffers of closed pairs for new ones: a pair lives for
// one client of one script, and a fresh buffer per direction was most of
// what a pair allocated.
var bufPool = sync.Pool{New: func() any { return new([pooledSize]byte) }}

// pipe is one direction: bytes one end writes and the other reads, with
// the reader's and the writer's deadlines, all under mu.
type pipe struct {
	mu    sync.Mutex
	rcond sync.Cond // readers wait on it for bytes, the writer's end or a deadline
	wcond sync.Cond // writers wait on it for room, the reader's end or a deadline
	// buf[off:] are the bytes written and not yet read. It starts as
	// pooled (from bufPool) and goes back there when the reading end
	// closes, unless a burst outgrew it.
	buf    []byte
	off    int
	size   int
	pooled *[pooledSize]byte
	// rclosed: the reading end is closed. wclosed: the writing side is
	// shut, by Close (wclosedByClose) or CloseWrite.
	rclosed, wclosed, wclosedByClose bool
	rdl, wdl                         deadline
}

func (p *pipe) init(size int) {
	p.size = size
	p.rcond.L = &p.mu
	p.wcond.L = &p.mu
	p.rdl.cond = &p.rcond
	p.wdl.cond = &p.wcond
	p.rdl.mu = &p.mu
	p.wdl.mu = &p.mu
}

func (p *pipe) read(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		switch {
		case p.rclosed:
			return 0, net.ErrClosed
		case p.rdl.passed():
			return 0, os.ErrDeadlineExceeded
		case len(b) == 0:
			return 0, nil
		case p.off < len(p.buf):
			n := copy(b, p.buf[p.off:])
			p.off += n
			if p.off == len(p.buf) {
				p.buf, p.off = p.buf[:0], 0
			}
			// Room for a waiting writer; bytes left for another reader.
			if p.wdl.waiting > 0 {
				p.wcond.Broadcast()
			}
			if p.off < len(p.buf) && p.rdl.waiting > 0 {
				p.rcond.Signal()
			}
			return n, nil
		case p.wclosed:
			return 0, io.EOF
		}
		p.rdl.wait()
	}
}

func (p *pipe) write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for {
		switch {
		case p.wclosedByClose:
			return n, net.ErrClosed
		case p.wclosed || p.rclosed:
			return n, errBrokenPipe
		case p.wdl.passed():
			return n, os.ErrDeadlineExceeded
		case n == len(b):
			return n, nil
		}
		if room := p.size - (len(p.buf) - p.off); room > 0 {
			chunk := b[n:min(len(b), n+room)]
			if p.off > 0 && len(p.buf)+len(chunk) > cap(p.buf) {
				// Move the unread bytes to the front rather than grow.
				p.buf = p.buf[:copy(p.buf, p.buf[p.off:])]
				p.off = 0
			}
			if p.buf == nil {
				p.pooled = bufPool.Get().(*[pooledSize]byte)
				p.buf = p.pooled[:0]
			}
			p.buf = append(p.buf, chunk...)
			n += len(chunk)
			if p.rdl.waiting > 0 {
				p.rcond.Signal()
			}
			continue
		}
		p.wdl.wait()
	}
}

// closeRead closes the reading end: buffered bytes are dropped, waiting
// readers and the peer's waiting writers fail. It reports whether this
// was the first close.
func (p *pipe) closeRead() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rclosed {
		return false
	}
	p.rclosed = true
	p.buf, p.off = nil, 0
	if p.pooled != nil {
		bufPool.Put(p.pooled)
		p.pooled = nil
	}
	p.rdl.stop()
	p.rcond.Broadcast()
	p.wcond.Broadcast()
	return true
}

// closeWrite shuts the writing side; byClose says the end is closed, not
// just half-closed.
func (p *pipe) closeWrite(byClose bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.wclosed = true
	if byClose {
		p.wclosedByClose = true
		p.wdl.stop()
	}
	p.rcond.Broadcast()
	p.wcond.Broadcast()
}

func (p *pipe) isReadClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rclosed
}

func (p *pipe) buffered() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.buf) - p.off
}

// setDeadline sets d (p.rdl or p.wdl) to t; false when the end d belongs
// to is closed.
func (p *pipe) setDeadline(d *deadline, t time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if (d == &p.rdl && p.rclosed) || (d == &p.wdl && p.wclosedByClose) {
		return false
	}
	d.set(t)
	return true
}

// deadline is one direction's read or write deadline and the calls
// waiting in that direction. Its fields are guarded by the pipe's mutex,
// mu.
//
// Setting a deadline costs no timer: a call looks at the clock when it
// starts, and a timer is armed only for a call that is about to wait, for
// the deadline it waits under (a session sets its read deadline at every
// stanza, and most reads find bytes waiting). A timer that fires wakes the
// waiting calls, which look at the clock again, and re-arm it should the
// deadline have moved.
type deadline struct {
	mu      *sync.Mutex
	cond    *sync.Cond // the calls waiting in this direction
	at      time.Time  // zero: none
	waiting int        // calls waiting on cond
	timer   *time.Timer
	armed   time.Time // the deadline timer fires for; zero when not armed
}

// passed reports whether the deadline has passed.
func (d *deadline) passed() bool {
	return !d.at.IsZero() && !time.Now().Before(d.at)
}

// wait waits on cond, with the timer armed for the deadline if there is
// one. mu is held.
func (d *deadline) wait() {
	if !d.at.IsZero() && !d.armed.Equal(d.at) {
		d.armed = d.at
		if wait := time.Until(d.at); d.timer == nil {
			d.timer = time.AfterFunc(wait, d.fire)
		} else {
			d.timer.Reset(wait)
		}
	}
	d.waiting++
	d.cond.Wait()
	d.waiting--
}

// set moves the deadline to t, waking the calls waiting under the old one
// so that they look again.
func (d *deadline) set(t time.Time) {
	d.at = t
	if d.waiting > 0 {
		d.cond.Broadcast()
	}
}

// fire is the timer's: it wakes the waiting calls, which look at the
// clock.
func (d *deadline) fire() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.armed = time.Time{}
	d.cond.Broadcast()
}

// stop lets the timer go: the end is closed.
func (d *deadline) stop() {
	if d.timer != nil {
		d.timer.Stop()
		d.armed = time.Time{}
	}
}
