package client

import (
	"context"
	"net"
	"sync/atomic"
)

// countingConn is the Conn's view of its TCP connection: it counts the
// bytes written and read, and whether the reader is blocked in Read, so
// that AwaitRead can tell when every byte a server wrote has been turned
// into queued stanzas.
type countingConn struct {
	net.Conn
	written atomic.Int64
	// state is twice the bytes read, plus 1 while a Read is in progress:
	// one word, so that a reader seen in Read with the full count has
	// decoded everything before it.
	state atomic.Int64
	// reading is signalled (capacity 1) each time a Read begins.
	reading chan struct{}
}

func newCountingConn(nc net.Conn) *countingConn {
	return &countingConn{Conn: nc, reading: make(chan struct{}, 1)}
}

func (c *countingConn) Read(p []byte) (int, error) {
	c.state.Add(1)
	select {
	case c.reading <- struct{}{}:
	default:
	}
	n, err := c.Conn.Read(p)
	c.state.Add(2*int64(n) - 1)
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.written.Add(int64(n))
	return n, err
}

// LocalAddr returns the client's end of the TCP connection, which a server
// sees as the remote address.
func (c *Conn) LocalAddr() net.Addr { return c.raw.LocalAddr() }

// Written returns how many bytes the Conn has written to its TCP
// connection (TLS records included), for a test runner that compares it
// with what an in-process server has read.
func (c *Conn) Written() int64 { return c.count.written.Load() }

// AwaitRead waits until the Conn has read n bytes from its TCP connection
// (as the server counts what it wrote, TLS records included) and queued
// every stanza in them, i.e. its reader is blocked reading for more; or
// until the stream has ended (everything read is then queued) or ctx ends.
// With AwaitRead an in-process test runner knows a client holds all the
// server sent it, without a ping round trip.
//
// A stream read inline (Config.ReadInline) is read here, up to n bytes
// and every element in them.
func (c *Conn) AwaitRead(ctx context.Context, n int64) error {
	if c.inline.Load() {
		if err, inline := c.awaitReadInline(ctx, n); inline {
			return err
		}
	}
	for {
		// Drain the signal first: a Read that begins after the check
		// below signals again.
		select {
		case <-c.count.reading:
		default:
		}
		if s := c.count.state.Load(); s&1 == 1 && s>>1 >= n {
			return nil
		}
		select {
		case <-c.count.reading:
		case <-c.readerDone:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
