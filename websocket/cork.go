package websocket

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// The WebSocket library writes and flushes every message on its own
// (one write(2) each), while a c2s session hands its writer a batch of
// stanzas at once: a MUC broadcast to a busy room is many small messages
// for the same client. A corkConn sits between the library and the
// hijacked TCP connection and, while corked (during one Conn.Write),
// gathers the library's writes into one buffer flushed at the end of the
// batch, as TCP_CORK would. Frames are untouched; only the system calls
// are fewer. Writes outside a batch (pongs and close frames from the
// library's reader) go straight through.

// maxCork bounds what one batch gathers before it is written anyway.
const maxCork = 64 << 10

var corkPool = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

type corkConn struct {
	net.Conn
	mu     sync.Mutex
	corked bool
	buf    *[]byte // from corkPool while corked

	// closing is set when the server starts the closing handshake, after
	// which drained counts what the library reads while it waits for the
	// client's close frame (see Read).
	closing atomic.Bool
	drained atomic.Int64
}

// maxCloseDrain is how much the closing handshake reads from a client
// before it gives up waiting for the client's close frame and closes the
// connection. The library waits up to 5 s and discards every byte sent
// meanwhile, one ReadByte call at a time; a client that goes on streaming
// a frame it announced as huge (or endless continuation frames) kept a
// core busy for those 5 s on every connection the server closed. A client
// that answers the close frame has at most the rest of one stanza in
// flight.
const maxCloseDrain = 64 << 10

// errCloseDrain ends a closing handshake the client drew out past
// maxCloseDrain.
var errCloseDrain = errors.New("websocket: client sent too much after the server's close frame")

// Read implements net.Conn: as the embedded connection's, bounded to
// maxCloseDrain bytes once the closing handshake has begun.
func (c *corkConn) Read(p []byte) (int, error) {
	if !c.closing.Load() {
		return c.Conn.Read(p)
	}
	left := maxCloseDrain - c.drained.Load()
	if left <= 0 {
		return 0, errCloseDrain
	}
	if int64(len(p)) > left {
		p = p[:left]
	}
	n, err := c.Conn.Read(p)
	c.drained.Add(int64(n))
	return n, err
}

func (c *corkConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.corked {
		if len(*c.buf)+len(p) <= maxCork {
			*c.buf = append(*c.buf, p...)
			return len(p), nil
		}
		// Bounded by the batch's deadline, set at hold.
		if err := c.flushLocked(); err != nil {
			return 0, err
		}
	}
	return c.Conn.Write(p)
}

func (c *corkConn) flushLocked() error {
	if c.buf == nil || len(*c.buf) == 0 {
		return nil
	}
	_, err := c.Conn.Write(*c.buf)
	*c.buf = (*c.buf)[:0]
	return err
}

// hold starts a batch whose writes must be done by deadline (none when
// zero).
func (c *corkConn) hold(deadline time.Time) {
	c.mu.Lock()
	c.corked = true
	c.buf = corkPool.Get().(*[]byte)
	_ = c.Conn.SetWriteDeadline(deadline)
	c.mu.Unlock()
}

// release ends a batch, writing what it gathered.
func (c *corkConn) release() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.corked = false
	err := c.flushLocked()
	_ = c.Conn.SetWriteDeadline(time.Time{})
	if cap(*c.buf) <= maxCork {
		*c.buf = (*c.buf)[:0]
		corkPool.Put(c.buf)
	}
	c.buf = nil
	return err
}

// corkWriter is the ResponseWriter given to the library's Accept: its
// Hijack puts a corkConn under the library's buffered writer.
type corkWriter struct {
	http.ResponseWriter
	conn *corkConn
}

func (w *corkWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("websocket: the HTTP connection cannot be hijacked")
	}
	nc, brw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	// Whatever the server buffered (the 101 response) goes out first.
	if err := brw.Writer.Flush(); err != nil {
		_ = nc.Close()
		return nil, nil, err
	}
	w.conn = &corkConn{Conn: nc}
	brw.Writer.Reset(w.conn)
	return w.conn, brw, nil
}

// Unwrap lets http.ResponseController reach the server's ResponseWriter.
func (w *corkWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
