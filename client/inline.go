package client

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/muctest/muctest/xmlnode"
)

// This file is Config.ReadInline: the stream read by the goroutine that
// asks for stanzas instead of by a reader goroutine of the Conn's own.
//
// With a reader goroutine, every write of the server's costs the client a
// wake-up of that goroutine through the runtime's network poller, the read,
// a second read that finds the socket empty before the goroutine parks
// again, and a wake-up of whoever waits for the stanza. A test runner
// that knows from an in-process server's byte counts when the socket holds
// something (AwaitRead) reads it itself instead: one read, on its own
// goroutine, for everything the server wrote since the last one.
//
// c.rmu orders the goroutines that read inline. c.inline turns false
// once, when ReadInBackground hands the stream to a reader goroutine.

// ReadInBackground hands the reading of a Config.ReadInline stream to a
// goroutine of the Conn's own, as without ReadInline, from now on. A
// runner calls it before it waits for something other than the stream
// that a server may need the client to read for: a server writing more
// than the socket buffers holds blocks until the client reads. It does
// nothing on a stream read in the background already.
func (c *Conn) ReadInBackground() {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if !c.inline.Load() {
		return
	}
	c.inline.Store(false)
	c.mu.Lock()
	ended := c.rerr != nil
	c.mu.Unlock()
	if !ended {
		go c.readLoop()
	}
}

// unparsed reports whether the stream reader holds input it has not yet
// turned into elements, other than whitespace between them.
func (c *Conn) unparsed() bool {
	sr := c.in
	if sr == nil {
		return false
	}
	for _, b := range sr.buf[sr.pos:sr.end] {
		if b != ' ' && b != '\t' && b != '\n' && b != '\r' {
			return true
		}
	}
	return false
}

// ended reports whether the stream has ended (Recv would return its error).
func (c *Conn) ended() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rerr != nil
}

// pullLocked reads the next element in the calling goroutine and queues
// it, or records the end of the stream, as readLoop would. ctx's deadline
// bounds the read (set on the socket only when it changes: a step's
// context is asked for many reads); a context without one, cancellation.
// A read interrupted so ends the stream too: the parser may stand inside
// an element. c.rmu is held and the stream has not ended.
func (c *Conn) pullLocked(ctx context.Context) {
	var stop func() bool
	if dl, ok := ctx.Deadline(); ok {
		c.setReadDeadline(dl)
	} else {
		c.setReadDeadline(time.Time{})
		if ctx.Done() != nil {
			stop = context.AfterFunc(ctx, func() { _ = c.raw.SetReadDeadline(time.Unix(1, 0)) })
		}
	}
	el, err := c.readElement()
	if stop != nil && !stop() {
		c.rdeadline = time.Unix(1, 0) // what the cancellation set
	}
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("client: read: %w", context.Cause(ctx))
	}
	c.record(el, c.classify(err))
}

// setReadDeadline puts t on the socket's reads unless it is there already
// (c.rmu held).
func (c *Conn) setReadDeadline(t time.Time) {
	if !t.Equal(c.rdeadline) {
		_ = c.raw.SetReadDeadline(t)
		c.rdeadline = t
	}
}

// record queues el, or records err as the stream's end (and lets go of
// the reader's buffer), for a stream read inline or by readLoop.
func (c *Conn) record(el *xmlnode.Element, err error) {
	if err == nil && c.streamNS == NSComponent {
		toClientNS(el)
	}
	c.mu.Lock()
	if err != nil {
		c.rerr = err
	} else {
		c.queue = append(c.queue, el)
	}
	c.mu.Unlock()
	select {
	case c.notify <- struct{}{}:
	default:
	}
	if err != nil {
		c.in.release()
		close(c.readerDone)
	}
}

// recvInline is RecvContext for a stream read inline: false when the
// stream is read in the background (by now).
func (c *Conn) recvInline(ctx context.Context) (st *xmlnode.Element, err error, inline bool) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	for c.inline.Load() {
		if st, err, ok := c.TryRecv(); ok {
			return st, err, true
		}
		if err := ctx.Err(); err != nil {
			return nil, err, true
		}
		c.pullLocked(ctx)
	}
	return nil, nil, false
}

// awaitReadInline is AwaitRead for a stream read inline: false when the
// stream is read in the background (by now).
func (c *Conn) awaitReadInline(ctx context.Context, n int64) (err error, inline bool) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	for c.inline.Load() {
		if c.ended() || c.count.state.Load()>>1 >= n && !c.unparsed() {
			return nil, true
		}
		if err := ctx.Err(); err != nil {
			return err, true
		}
		c.pullLocked(ctx)
	}
	return nil, false
}

// endInline reads a stream read inline up to its end, for Close and
// Drop: up to d, queueing what comes (Close) or dropping it. It reports
// whether the end came in time, and false for inline when the stream is
// read in the background (by now).
func (c *Conn) endInline(d time.Duration, keep bool) (inTime, inline bool) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if !c.inline.Load() {
		return false, false
	}
	if c.ended() {
		return true, true
	}
	c.setReadDeadline(time.Now().Add(d))
	for {
		el, err := c.readElement()
		if err == nil {
			if keep {
				c.record(el, nil)
			}
			continue
		}
		c.record(nil, c.classify(err))
		return !errors.Is(err, os.ErrDeadlineExceeded), true
	}
}

// abortInline ends a stream read inline whose socket is closed.
func (c *Conn) abortInline() {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if c.inline.Load() && !c.ended() {
		c.record(nil, ErrClosed)
	}
}
