package websocket

import (
	"github.com/muctest/muctest/httpconn"

	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	ws "github.com/coder/websocket"

	"github.com/muctest/muctest/streamframe"
)

// ErrFraming is the error a Conn's Read returns when a client breaks the
// RFC 7395 framing rule that every message holds exactly one complete
// element. The c2s session reading it answers with a not-well-formed
// stream error, as for any XML it cannot parse.
var ErrFraming = errors.New("websocket: a message must hold exactly one complete XML element (RFC 7395 section 3.3.3)")

// headSize is how much of a message is read before deciding whether it is
// a framing element (<open/>, <close/>); those are far smaller.
const headSize = 512

var headPool = sync.Pool{New: func() any { return new([headSize]byte) }}

// Conn presents one XMPP-over-WebSocket connection as the byte stream of
// a TCP client, for package c2s: Read returns a synthetic stream (each
// <open/> as a stream header, each <close/> as </stream:stream>, every
// other message's element as it came), and Write cuts the session's output
// into one text message per top-level element, its stream header into an
// <open/> and its </stream:stream> into a <close/>.
//
// Conn is not a syscall.Conn, so a session on it never parks in the
// netpoll poller: its reader goroutine stays in the WebSocket library's
// read. Deadlines are carried out by the library by closing the
// connection when they pass.
type Conn struct {
	ws            *ws.Conn
	local, remote net.Addr

	// The read side, used by one goroutine at a time.
	msg        io.Reader           // the message being read, nil between messages
	msgCancel  context.CancelFunc  // ends msg's context
	waiting    chan pendingMessage // a wait for the next message that outlived a Read
	waitCancel context.CancelFunc  // its context's
	pending    []byte              // translated bytes Read returns before reading on
	pbuf       []byte              // pending's buffer when it holds a message head
	sc         streamframe.Scanner
	items      int // top-level items seen in the current message

	httpconn.Deadlines

	wmu     sync.Mutex // serialises Write and guards split
	split   streamframe.Splitter
	cork    *corkConn // the server side's TCP connection, nil on a client
	closeMu sync.Once
	closed  chan struct{} // closed when the closing handshake is over
}

// NewConn wraps c, an accepted WebSocket connection that negotiated the
// xmpp subprotocol. local and remote are the HTTP connection's addresses.
func NewConn(c *ws.Conn, local, remote net.Addr) *Conn {
	return &Conn{ws: c, local: local, remote: remote, closed: make(chan struct{})}
}

// Read implements net.Conn.
func (c *Conn) Read(p []byte) (int, error) {
	for {
		if len(c.pending) > 0 {
			n := copy(p, c.pending)
			c.pending = c.pending[n:]
			return n, nil
		}
		if c.msg == nil {
			n, err := c.nextMessage(p)
			if err != nil || n > 0 {
				return n, err
			}
			continue
		}
		n, err := c.msg.Read(p)
		if n > 0 {
			if verr := c.check(p[:n]); verr != nil {
				c.endMessage()
				return 0, verr
			}
		}
		if errors.Is(err, io.EOF) {
			c.endMessage()
			if !c.sc.Top() {
				return 0, ErrFraming
			}
			if n > 0 {
				return n, nil
			}
			continue
		}
		if err != nil {
			c.endMessage()
			return 0, c.readError(err)
		}
		if n > 0 {
			return n, nil
		}
	}
}

// pendingMessage is the outcome of a wait for the next message that
// outlived a Read (see await).
type pendingMessage struct {
	typ ws.MessageType
	r   io.Reader
	err error
}

// await waits for the next message until the read deadline. The library
// closes the connection when the context of a read ends, which would make
// an idle timeout (c2s.Limits.IdleTimeout) a silent close instead of the
// connection-timeout stream error a TCP client gets. So with a deadline
// the wait runs in a goroutine of its own, and Read returns a timeout at
// the deadline with the connection still open for the stream error; that
// wait is taken over by the next Read, if any (it ends when the connection
// closes). Once a message has begun, the deadline bounds the rest of it
// through the library's context: a message that trickles in past it
// closes the connection.
func (c *Conn) await() (ws.MessageType, io.Reader, context.CancelFunc, error) {
	deadline := c.ReadDeadline()
	ctx, cancel := context.WithCancel(context.Background())
	if c.waiting == nil && deadline.IsZero() {
		typ, r, err := c.ws.Reader(ctx)
		if err != nil {
			cancel()
			return 0, nil, nil, c.readError(err)
		}
		return typ, r, cancel, nil
	}
	if c.waiting == nil {
		ch := make(chan pendingMessage, 1)
		c.waiting, c.waitCancel = ch, cancel
		go func() {
			typ, r, err := c.ws.Reader(ctx)
			ch <- pendingMessage{typ, r, err}
		}()
	} else {
		cancel()
	}
	var timeout <-chan time.Time
	if !deadline.IsZero() {
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		timeout = t.C
	}
	select {
	case m := <-c.waiting:
		cancel := c.waitCancel
		c.waiting, c.waitCancel = nil, nil
		if m.err != nil {
			cancel()
			return 0, nil, nil, c.readError(m.err)
		}
		if !deadline.IsZero() {
			stop := time.AfterFunc(time.Until(deadline), cancel)
			return m.typ, m.r, func() { stop.Stop(); cancel() }, nil
		}
		return m.typ, m.r, cancel, nil
	case <-timeout:
		return 0, nil, nil, timeoutError{os.ErrDeadlineExceeded}
	}
}

// nextMessage waits for the next message and starts it: a framing element
// is translated into pending at once, anything else is passed on as read.
// The head of the message is read into p when it is large enough (then n
// of its bytes are the message's), else into a pooled buffer.
func (c *Conn) nextMessage(p []byte) (n int, err error) {
	typ, r, cancel, err := c.await()
	if err != nil {
		return 0, err
	}
	if typ != ws.MessageText {
		cancel()
		// As Prosody does: 1003 Unsupported Data, no stream error.
		_ = c.ws.Close(ws.StatusUnsupportedData, "XMPP over WebSocket uses text messages only")
		return 0, fmt.Errorf("websocket: binary message: %w", net.ErrClosed)
	}
	c.sc, c.items = streamframe.Scanner{}, 0
	head := p
	if len(head) < headSize {
		hb := headPool.Get().(*[headSize]byte)
		defer headPool.Put(hb)
		head = hb[:]
	}
	n, err = io.ReadFull(r, head[:headSize])
	whole := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
	if err != nil && !whole {
		cancel()
		return 0, c.readError(err)
	}
	h := head[:n]
	if whole {
		cancel()
		if t, ok, ferr := translateFraming(h); ferr != nil {
			return 0, ferr
		} else if ok {
			c.pending = t
			return 0, nil
		}
	} else {
		c.msg, c.msgCancel = r, cancel
	}
	if err := c.check(h); err != nil {
		c.endMessage()
		return 0, err
	}
	if whole && !c.sc.Top() {
		return 0, ErrFraming
	}
	if len(p) >= headSize {
		return n, nil // already in place
	}
	c.pbuf = append(c.pbuf[:0], h...)
	c.pending = c.pbuf
	return 0, nil
}

func (c *Conn) endMessage() {
	if c.msgCancel != nil {
		c.msgCancel()
	}
	c.msg, c.msgCancel = nil, nil
}

// check enforces one element per message on the bytes b of the current
// message.
func (c *Conn) check(b []byte) error {
	return c.sc.Scan(b, func(_ int, ev streamframe.Event) error {
		switch ev {
		case streamframe.EvStart:
			c.items++
			if c.items > 1 {
				return ErrFraming
			}
		case streamframe.EvText, streamframe.EvEndTag:
			return ErrFraming
		}
		return nil
	})
}

// translateFraming turns a complete message holding an RFC 7395 <open/>
// or <close/> into the stream header or closing tag c2s expects. ok is
// false for any other message.
func translateFraming(msg []byte) (out []byte, ok bool, err error) {
	local := firstLocalName(msg)
	if local != "open" && local != "close" {
		return nil, false, nil
	}
	d := xml.NewDecoder(strings.NewReader(string(msg)))
	var start xml.StartElement
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, false, fmt.Errorf("websocket: framing element: %w", err)
		}
		if se, isStart := tok.(xml.StartElement); isStart {
			start = se
			break
		}
	}
	if start.Name.Space != streamframe.NSFraming {
		return nil, false, nil // c2s answers whatever it is
	}
	if err := d.Skip(); err != nil {
		return nil, false, fmt.Errorf("websocket: framing element: %w", err)
	}
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, false, fmt.Errorf("websocket: framing element: %w", err)
		}
		if cd, isText := tok.(xml.CharData); !isText || len(strings.TrimSpace(string(cd))) != 0 {
			return nil, false, ErrFraming
		}
	}
	if start.Name.Local == "close" {
		return []byte("</stream:stream>"), true, nil
	}
	var b strings.Builder
	b.WriteString(`<stream:stream xmlns="` + streamframe.NSClient + `" xmlns:stream="` + streamframe.NSStream + `"`)
	for _, a := range start.Attr {
		var name string
		switch a.Name.Space {
		case "":
			if a.Name.Local == "xmlns" {
				continue
			}
			name = a.Name.Local
		case "http://www.w3.org/XML/1998/namespace":
			name = "xml:" + a.Name.Local
		default:
			continue
		}
		b.WriteString(" " + name + `="`)
		_ = xml.EscapeText(&b, []byte(a.Value))
		b.WriteString(`"`)
	}
	b.WriteString(">")
	return []byte(b.String()), true, nil
}

// firstLocalName returns the local name of the first element in msg, or ""
// when msg does not start with one.
func firstLocalName(msg []byte) string {
	s := bytes.TrimLeft(msg, " \t\r\n")
	if len(s) < 2 || s[0] != '<' {
		return ""
	}
	end := bytes.IndexAny(s[1:], " \t\r\n/>")
	if end < 0 {
		return ""
	}
	name := s[1 : 1+end]
	if i := bytes.IndexByte(name, ':'); i >= 0 {
		name = name[i+1:]
	}
	switch string(name) { // no allocation: compared, not kept
	case "open":
		return "open"
	case "close":
		return "close"
	}
	return ""
}

// readError maps a library error to what c2s expects of a connection:
// a timeout is a net.Error with Timeout, everything else a closed
// connection.
func (c *Conn) readError(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return timeoutError{err}
	}
	if errors.Is(err, ws.ErrMessageTooBig) {
		return fmt.Errorf("websocket: message too large: %w", net.ErrClosed)
	}
	var ce ws.CloseError
	if errors.As(err, &ce) {
		return io.EOF // the client closed the WebSocket
	}
	if errors.Is(err, net.ErrClosed) {
		return err
	}
	return fmt.Errorf("websocket: %v: %w", err, net.ErrClosed)
}

// timeoutError is a deadline that passed, as net.Conn reports it.
type timeoutError struct{ err error }

func (e timeoutError) Error() string   { return "websocket: i/o timeout: " + e.err.Error() }
func (e timeoutError) Timeout() bool   { return true }
func (e timeoutError) Temporary() bool { return true }
func (e timeoutError) Unwrap() error   { return e.err }

// Write implements net.Conn: p is the session's output, cut into messages.
func (c *Conn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	deadline := c.WriteDeadline()
	ctx := context.Background()
	if c.cork != nil {
		// The batch's writes go to the cork's buffer, and the deadline is
		// the TCP connection's until release: no per-message timer in the
		// library.
		c.cork.hold(deadline)
	} else if !deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	err := c.split.Feed(p, func(k streamframe.Kind, b []byte) error {
		switch k {
		case streamframe.Header:
			b = openFrom(b)
		case streamframe.Close:
			b = closeFrame
		}
		return c.ws.Write(ctx, ws.MessageText, b)
	})
	if c.cork != nil {
		if cerr := c.cork.release(); err == nil && cerr != nil {
			err = cerr
			if ne, ok := cerr.(net.Error); ok && ne.Timeout() {
				return 0, timeoutError{cerr}
			}
		}
	}
	if err != nil {
		var ne net.Error
		if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
			return 0, timeoutError{err}
		}
		return 0, fmt.Errorf("websocket: write: %w", err)
	}
	return len(p), nil
}

var closeFrame = []byte(`<close xmlns="` + streamframe.NSFraming + `"/>`)

// openFrom builds the RFC 7395 <open/> for a stream header: the header's
// attributes (to or from, id, version, xml:lang) on the framing element,
// its namespace declarations left out.
func openFrom(header []byte) []byte {
	b := []byte(`<open xmlns="` + streamframe.NSFraming + `"`)
	streamframe.Attrs(header, func(name, v string) bool {
		if name == "xmlns" || strings.HasPrefix(name, "xmlns:") {
			return true
		}
		b = append(b, ' ')
		b = append(b, name...)
		b = append(b, `="`...)
		b = append(b, strings.ReplaceAll(v, `"`, "&quot;")...)
		b = append(b, '"')
		return true
	})
	return append(b, "/>"...)
}

// Close implements net.Conn with the WebSocket closing handshake (normal
// closure); a <close/> or stream error was written before it when the
// session ended cleanly.
func (c *Conn) Close() error {
	c.closeMu.Do(func() {
		go func() {
			// The handshake waits for the client's close frame (at most
			// the library's 5 s): not in the caller's goroutine, which may
			// be a session tearing down or a server shutting down. What
			// the client may send meanwhile is bounded (maxCloseDrain).
			if c.cork != nil {
				c.cork.closing.Store(true)
			}
			_ = c.ws.Close(ws.StatusNormalClosure, "")
			close(c.closed)
		}()
	})
	return nil
}

// LocalAddr implements net.Conn.
func (c *Conn) LocalAddr() net.Addr { return c.local }

// RemoteAddr implements net.Conn.
func (c *Conn) RemoteAddr() net.Addr { return c.remote }
