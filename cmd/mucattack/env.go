package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// attack is one entry of the battery. run works until e.ctx ends (or
// earlier when it is done) and returns a short note for the table.
type attack struct {
	name string
	what string
	run  func(e *env) (string, error)
}

// env is what an attack works with: the server's address, source addresses,
// and the sockets it opened (closed when the attack ends).
type env struct {
	ctx    context.Context
	b      *battery
	addr   string
	domain string
	muc    string
	name   string

	mu    sync.Mutex
	conns []net.Conn

	opened, failed, loggedIn atomic.Int64
	sent, sentBytes          atomic.Int64
	errMu                    sync.Mutex
	firstErr                 string
	// lost, set by lose, is a service the attack watched besides the
	// witness's (a component's round trips) that failed: the attack fails.
	lost string
}

// lose records that a well-behaved party the attack watches (not the
// witness) lost its service, which fails the attack as a witness failure
// would; the first reason is kept.
func (e *env) lose(why string) {
	e.errMu.Lock()
	if e.lost == "" {
		e.lost = why
	}
	e.errMu.Unlock()
}

func (e *env) lostService() string {
	e.errMu.Lock()
	defer e.errMu.Unlock()
	return e.lost
}

func newEnv(ctx context.Context, b *battery, name string) *env {
	return &env{ctx: ctx, b: b, addr: b.addr, domain: b.o.domain, muc: "conference." + b.o.domain, name: name}
}

func (e *env) done() bool { return e.ctx.Err() != nil }

// ip returns the i-th attacker source address: 127.0.1.1, 127.0.1.2, ...
// (i from 0), outside 127.0.0.x, which the witness and the probe use.
// Single-IP attacks use ip(0) unless they model the witness's own host.
func ip(i int) net.IP {
	i = i % (250 * 250)
	return net.IPv4(127, byte(1+i/250), byte(1+i%250), 1)
}

// dial opens a TCP connection from src (nil: the default 127.0.0.1), with
// a small receive buffer when small is set, so that a client that does not
// read pushes back on the server quickly, as a slow mobile link would.
func (e *env) dial(src net.IP, small bool) (net.Conn, error) {
	return e.dialOpt(src, small, true)
}

// dialOpt is dial; track false leaves closing the connection to the caller
// (attacks that open and close connections in a loop).
func (e *env) dialOpt(src net.IP, small, track bool) (net.Conn, error) {
	var buf sockBuf
	if small {
		buf = sockBuf{syscall.SO_RCVBUF, 4096}
	}
	return e.dialBuf(src, buf, track)
}

// sockBuf is a socket buffer size to set before connecting: opt is
// SO_RCVBUF or SO_SNDBUF; a zero sockBuf leaves the kernel's.
type sockBuf struct{ opt, size int }

// dialBuf is dialOpt with any socket buffer bound.
func (e *env) dialBuf(src net.IP, buf sockBuf, track bool) (net.Conn, error) {
	return e.dialAddr(e.addr, src, buf, track)
}

// dialAddr is dialBuf to another of the server's ports (the component
// port).
func (e *env) dialAddr(addr string, src net.IP, buf sockBuf, track bool) (net.Conn, error) {
	d := net.Dialer{Timeout: 5 * time.Second}
	if src != nil {
		d.LocalAddr = &net.TCPAddr{IP: src}
	}
	if buf.size > 0 {
		d.Control = func(network, address string, c syscall.RawConn) error {
			var serr error
			err := c.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, buf.opt, buf.size)
			})
			if err != nil {
				return err
			}
			return serr
		}
	}
	nc, err := d.DialContext(e.ctx, "tcp", addr)
	if err != nil {
		e.failed.Add(1)
		e.noteErr(err)
		return nil, err
	}
	e.opened.Add(1)
	if track {
		e.mu.Lock()
		e.conns = append(e.conns, nc)
		e.mu.Unlock()
	}
	return nc, nil
}

func (e *env) noteErr(err error) {
	if err == nil || e.done() {
		return
	}
	e.errMu.Lock()
	if e.firstErr == "" {
		e.firstErr = err.Error()
	}
	e.errMu.Unlock()
}

func (e *env) closeAll() {
	e.mu.Lock()
	cs := e.conns
	e.conns = nil
	e.mu.Unlock()
	for _, c := range cs {
		c.Close()
	}
}

func (e *env) summary() string {
	return fmt.Sprintf("opened %d, failed %d, logged in %d, sent %d stanzas %d bytes, first error %q",
		e.opened.Load(), e.failed.Load(), e.loggedIn.Load(), e.sent.Load(), e.sentBytes.Load(), e.firstErr)
}

// streamHeader is a client's stream header to the server's domain.
func (e *env) streamHeader() string {
	return "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='" + e.domain + "' version='1.0'>"
}

// session is a logged-in raw stream: the attacker writes whatever it
// wants, and reads only when it chooses to (drain).
type session struct {
	e   *env
	nc  net.Conn
	br  *bufio.Reader
	jid string
	wmu sync.Mutex
}

// login logs user in with a pipelined PLAIN login (any password: the
// default mode creates the account) from src and binds resource. small
// gives the socket a small receive buffer (for non-reading clients).
func (e *env) login(src net.IP, user, resource string, small bool) (*session, error) {
	var buf sockBuf
	if small {
		buf = sockBuf{syscall.SO_RCVBUF, 4096}
	}
	return e.loginBuf(src, user, resource, buf)
}

// loginBuf is login with any socket buffer bound (dialBuf).
func (e *env) loginBuf(src net.IP, user, resource string, buf sockBuf) (*session, error) {
	nc, err := e.dialBuf(src, buf, true)
	if err != nil {
		return nil, err
	}
	s, err := e.loginOn(nc, user, resource)
	if err != nil {
		nc.Close()
		e.failed.Add(1)
		e.noteErr(err)
		return nil, err
	}
	e.loggedIn.Add(1)
	return s, nil
}

func (e *env) loginOn(nc net.Conn, user, resource string) (*session, error) {
	auth := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00pw"))
	var b strings.Builder
	b.WriteString(e.streamHeader())
	b.WriteString("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + auth + "</auth>")
	b.WriteString(e.streamHeader())
	b.WriteString("<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>")
	if resource != "" {
		b.WriteString("<resource>" + resource + "</resource>")
	}
	b.WriteString("</bind></iq>")
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(nc, b.String()); err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(nc, 8192)
	var seen []byte
	buf := make([]byte, 4096)
	for {
		n, err := br.Read(buf)
		seen = append(seen, buf[:n]...)
		if i := bytes.Index(seen, []byte("<jid>")); i >= 0 {
			if j := bytes.Index(seen[i:], []byte("</jid>")); j >= 0 {
				s := &session{e: e, nc: nc, br: br, jid: string(seen[i+5 : i+j])}
				_ = nc.SetDeadline(time.Time{})
				return s, nil
			}
		}
		if bytes.Contains(seen, []byte("<failure")) || bytes.Contains(seen, []byte("stream:error")) || bytes.Contains(seen, []byte("type='error'")) || bytes.Contains(seen, []byte(`type="error"`)) {
			return nil, fmt.Errorf("login %s: %s", user, trim(seen, 300))
		}
		if err != nil {
			return nil, fmt.Errorf("login %s: %w (read %q)", user, err, trim(seen, 200))
		}
		if len(seen) > 1<<16 {
			return nil, errors.New("login: no bind result in 64 KiB")
		}
	}
}

func trim(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// send writes raw XML; errors end the session's use (the attack goes on).
func (s *session) send(x string) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.e.done() {
		return s.e.ctx.Err()
	}
	_ = s.nc.SetWriteDeadline(time.Now().Add(2 * time.Second))
	_, err := io.WriteString(s.nc, x)
	if err != nil {
		return err
	}
	s.e.sent.Add(1)
	s.e.sentBytes.Add(int64(len(x)))
	return nil
}

// drain reads and discards everything the server sends, in the
// background, as a client that keeps up would.
func (s *session) drain() {
	go func() { _, _ = io.Copy(io.Discard, s.br) }()
}

// readUntil reads until the stream holds marker (or 5 s pass), for an
// attacker that waits for one answer before going on.
func (s *session) readUntil(marker string) (string, error) {
	_ = s.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	defer s.nc.SetReadDeadline(time.Time{})
	var seen []byte
	buf := make([]byte, 8192)
	for {
		n, err := s.br.Read(buf)
		seen = append(seen, buf[:n]...)
		if bytes.Contains(seen, []byte(marker)) {
			return string(seen), nil
		}
		if err != nil {
			return string(seen), err
		}
		if len(seen) > 1<<20 {
			seen = seen[len(seen)-4096:]
		}
	}
}

// parallel runs f(i) for i in [0, n) on n goroutines and waits; each f
// should loop until e.done().
func (e *env) parallel(n int, f func(i int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); f(i) }()
	}
	wg.Wait()
}

// hold waits until the attack's time is up, for attacks that open
// resources and then sit on them.
func (e *env) hold() { <-e.ctx.Done() }

// sessions logs in n sessions over nIPs source addresses, user names made
// by name(i), in parallel (16 at a time); it returns those that worked.
func (e *env) sessions(n, nIPs int, name func(i int) string, resource func(i int) string, small, drain bool) []*session {
	out := make([]*session, n)
	var next atomic.Int64
	e.parallel(16, func(int) {
		for !e.done() {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			s, err := e.login(ip(i%nIPs), name(i), resource(i), small)
			if err != nil {
				continue
			}
			if drain {
				s.drain()
			}
			out[i] = s
		}
	})
	var ok []*session
	for _, s := range out {
		if s != nil {
			ok = append(ok, s)
		}
	}
	return ok
}

// counts is the usual note: how many sockets and stanzas an attack made.
func (e *env) counts() string {
	n := fmt.Sprintf("conns %d", e.opened.Load())
	if f := e.failed.Load(); f > 0 {
		n += fmt.Sprintf(" (%d failed)", f)
	}
	if l := e.loggedIn.Load(); l > 0 {
		n += fmt.Sprintf(" logins %d", l)
	}
	if s := e.sent.Load(); s > 0 {
		n += fmt.Sprintf(" sent %d/%s", s, mb(e.sentBytes.Load()))
	}
	if e.firstErr != "" && e.failed.Load() > 0 {
		n += " err: " + firstLine(e.firstErr, 60)
	}
	return n
}

func mb(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%dMB", n>>20)
	}
	return fmt.Sprintf("%dKB", n>>10)
}

func firstLine(s string, n int) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > n {
		s = s[:n]
	}
	return s
}
