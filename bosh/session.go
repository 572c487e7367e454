package bosh

import (
	"github.com/muctest/muctest/httpconn"

	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/muctest/muctest/streamframe"
)

// session is one BOSH session: the c2s stream behind it (through conn),
// the elements waiting for a request to carry them, and the requests held.
type session struct {
	h      *Handler
	sid    string
	wait   time.Duration
	hold   int
	secure bool
	to     string // the stream header's, again at each restart
	lang   string

	mu sync.Mutex
	// notify is closed and replaced whenever anything below changes, so
	// that every goroutine waiting on the session looks again.
	notify chan struct{}
	// Input for the c2s session: bytes it has not read yet.
	in []byte
	// Output: standalone elements waiting for a response, and their size.
	out      [][]byte
	outBytes int
	authid   string // the stream id, from the server's header
	// nextRID is the rid the next request must carry; responses keeps the
	// last Requests answers by rid, for a client that resends a request
	// whose answer it lost (XEP-0124 section 14.3).
	nextRID   int64
	responses map[int64][]byte
	active    int // requests inside the handler for this session
	held      []*held
	streamErr []byte // the <stream:error/> the server ended with, if any
	ended     bool   // the server closed the stream: only the terminate is left to deliver
	inClosed  bool   // the client terminated or timed out: c2s reads EOF after in
	gone      bool   // removed from the handler: every request gets item-not-found
	final     bool   // the terminating body has been handed to a request
	timer     *time.Timer
}

// held is a request waiting for output.
type held struct {
	released bool // answer now, even with nothing (hold exceeded)
}

func (s *session) broadcastLocked() {
	close(s.notify)
	s.notify = make(chan struct{})
}

// feed hands client bytes to the c2s session.
func (s *session) feedLocked(b []byte) {
	if s.inClosed {
		return
	}
	s.in = append(s.in, b...)
	s.broadcastLocked()
}

// conn is the session as the c2s code sees it: a byte stream.
type conn struct {
	s             *session
	local, remote net.Addr

	httpconn.Deadlines

	wmu   sync.Mutex
	split streamframe.Splitter
}

var errTimeout = timeoutError{}

type timeoutError struct{}

func (timeoutError) Error() string   { return "bosh: i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }
func (timeoutError) Unwrap() error   { return os.ErrDeadlineExceeded }

// waitFor blocks until ch is closed (true), or the deadline passes or
// cancel (a request's context, nil for none) ends (false). A zero
// deadline never passes.
func waitFor(ch <-chan struct{}, deadline time.Time, cancel <-chan struct{}) bool {
	var timeout <-chan time.Time
	if !deadline.IsZero() {
		d := time.Until(deadline)
		if d <= 0 {
			return false
		}
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-ch:
		return true
	case <-timeout:
		return false
	case <-cancel:
		return false
	}
}

// Read implements net.Conn: it returns what the client's requests carried.
func (c *conn) Read(p []byte) (int, error) {
	s := c.s
	for {
		s.mu.Lock()
		if len(s.in) > 0 {
			n := copy(p, s.in)
			s.in = s.in[n:]
			if len(s.in) == 0 {
				s.in = nil // give a large body back
			}
			s.mu.Unlock()
			return n, nil
		}
		if s.inClosed || s.gone {
			s.mu.Unlock()
			return 0, io.EOF
		}
		ch := s.notify
		s.mu.Unlock()
		if !waitFor(ch, c.ReadDeadline(), nil) {
			return 0, errTimeout
		}
	}
}

// Write implements net.Conn: the session's output is cut into elements
// and queued for the next response. It blocks while the queue holds more
// than MaxQueuedBytes (a client that stopped polling), until the write
// deadline; the c2s writer then drops the session.
func (c *conn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	s := c.s
	err := c.split.Feed(p, func(k streamframe.Kind, b []byte) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		switch k {
		case streamframe.Header:
			if id, ok := streamframe.Attr(b, "id"); ok {
				s.authid = id
			}
			return nil
		case streamframe.Close:
			s.ended = true
			s.broadcastLocked()
			return nil
		}
		if s.gone {
			return net.ErrClosed
		}
		if len(b) > len("<stream:error") && string(b[:len("<stream:error")]) == "<stream:error" {
			s.streamErr = append([]byte(nil), b...)
			s.broadcastLocked()
			return nil
		}
		s.out = append(s.out, append([]byte(nil), b...))
		s.outBytes += len(b)
		s.broadcastLocked()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("bosh: write: %w", err)
	}
	// Backpressure: wait for requests to take the queue below the bound.
	for {
		s.mu.Lock()
		if s.outBytes <= s.h.cfg.MaxQueuedBytes || s.gone {
			s.mu.Unlock()
			return len(p), nil
		}
		ch := s.notify
		s.mu.Unlock()
		if !waitFor(ch, c.WriteDeadline(), nil) {
			return 0, errTimeout
		}
	}
}

// Close implements net.Conn: the c2s session has ended.
func (c *conn) Close() error {
	s := c.s
	s.mu.Lock()
	s.ended = true
	s.inClosed = true
	s.broadcastLocked()
	s.mu.Unlock()
	return nil
}

func (c *conn) LocalAddr() net.Addr  { return c.local }
func (c *conn) RemoteAddr() net.Addr { return c.remote }
