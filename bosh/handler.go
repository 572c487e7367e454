// Package bosh serves XMPP over BOSH: XEP-0124 (Bidirectional-streams Over
// Synchronous HTTP) with XEP-0206 (XMPP over BOSH), at Prosody's path
// /http-bind. Each BOSH session is one c2s stream behind a net.Conn (the
// client's payloads in, the server's elements out, cut by package
// streamframe), handed to the XMPP server with server.ServeConn, so
// negotiation, limits and stream errors are those of a TCP client.
//
// The Handler checks every request as hostile: the body's size and
// syntax, the session id, the request id window (XEP-0124 section 14),
// how many requests a session has open at once, and how much output may
// queue for a client that stopped polling. It answers CORS preflights, so
// that a page on another origin can use it. A session ends when the client
// terminates it, when the server closes its stream, and after Inactivity
// without a request.
package bosh

import (
	"github.com/muctest/muctest/httpconn"

	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Path is where Prosody (and mucd) serve BOSH.
const Path = "/http-bind"

// ServeFunc hands a session's stream to the XMPP server and returns when
// the stream has ended (server.Server's ServeConn, wrapped). secure tells
// whether the HTTP request came over TLS.
type ServeFunc func(c net.Conn, secure bool) error

// Config sets up a Handler; zero fields take the defaults below.
type Config struct {
	Serve ServeFunc
	// Domain is the server's domain, the 'from' of session responses.
	Domain string
	// MaxWait is the longest a request is held waiting for output (the
	// client's 'wait' is lowered to it). Default 60 s.
	MaxWait time.Duration
	// MaxHold is the most requests held at once (the client's 'hold' is
	// lowered to it). Default 1, as Prosody; a session may have MaxHold+1
	// requests open at once (the 'requests' attribute).
	MaxHold int
	// Inactivity ends a session after this long without an open request.
	// Default 60 s.
	Inactivity time.Duration
	// MaxBodyBytes bounds one request body (HTTP 413 beyond it); default
	// 1 MiB.
	MaxBodyBytes int64
	// MaxQueuedBytes bounds the output waiting for one session's next
	// request; beyond it the server's writes wait (and the c2s write
	// timeout drops a client that never polls). Default 1 MiB.
	MaxQueuedBytes int
	// MaxSessions bounds the sessions open at once (HTTP 503 beyond it);
	// default 10000.
	MaxSessions int
	// AllowOrigin is the Access-Control-Allow-Origin sent with every
	// answer; default "*", any page may use the endpoint.
	AllowOrigin string
}

// Defaults for zero Config fields.
const (
	DefaultMaxWait        = 60 * time.Second
	DefaultMaxHold        = 1
	DefaultInactivity     = 60 * time.Second
	DefaultMaxBodyBytes   = 1 << 20
	DefaultMaxQueuedBytes = 1 << 20
	DefaultMaxSessions    = 10000
)

// bodyTimeout bounds the time a request body may take to arrive.
const bodyTimeout = 10 * time.Second

// Handler is the http.Handler of the BOSH endpoint.
type Handler struct {
	cfg Config

	mu       sync.Mutex
	sessions map[string]*session
	wg       sync.WaitGroup // Serve goroutines
}

// NewHandler returns a Handler for cfg.
func NewHandler(cfg Config) *Handler {
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = DefaultMaxWait
	}
	if cfg.MaxHold <= 0 {
		cfg.MaxHold = DefaultMaxHold
	}
	if cfg.Inactivity <= 0 {
		cfg.Inactivity = DefaultInactivity
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxQueuedBytes <= 0 {
		cfg.MaxQueuedBytes = DefaultMaxQueuedBytes
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = DefaultMaxSessions
	}
	if cfg.AllowOrigin == "" {
		cfg.AllowOrigin = "*"
	}
	if cfg.Domain == "" {
		cfg.Domain = "localhost"
	}
	return &Handler{cfg: cfg, sessions: map[string]*session{}}
}

// Wait blocks until every session's stream has ended (after the server
// serving them was closed), for callers that must leave no goroutine
// behind.
func (h *Handler) Wait() { h.wg.Wait() }

// Sessions returns how many BOSH sessions are open.
func (h *Handler) Sessions() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.sessions)
}

// ServeHTTP answers one BOSH request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Access-Control-Allow-Origin", h.cfg.AllowOrigin)
	hd.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
	hd.Set("Access-Control-Allow-Headers", "Content-Type")
	hd.Set("Access-Control-Max-Age", "7200")
	switch r.Method {
	case http.MethodOptions: // a CORS preflight
		w.WriteHeader(http.StatusOK)
		return
	case http.MethodGet, http.MethodHead:
		hd.Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "It works! Point an XMPP over BOSH client (XEP-0124, XEP-0206) at this URL with POST requests.\n")
		return
	case http.MethodPost:
	default:
		hd.Set("Allow", "GET, POST, OPTIONS")
		reply(w, http.StatusMethodNotAllowed, terminate("bad-request"))
		return
	}
	// A body that trickles in (slowloris) is given up after bodyTimeout.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(bodyTimeout))
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			reply(w, http.StatusRequestEntityTooLarge, terminate("policy-violation"))
		}
		return
	}
	body, err := ParseBody(data)
	if err != nil {
		reply(w, http.StatusBadRequest, terminate("bad-request"))
		return
	}
	if body.SID == "" {
		h.create(w, r, body)
		return
	}
	h.mu.Lock()
	s := h.sessions[body.SID]
	h.mu.Unlock()
	if s == nil {
		reply(w, http.StatusNotFound, terminate("item-not-found"))
		return
	}
	h.request(w, r, s, body)
}

func reply(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// streamHeader is the synthetic stream header c2s reads for a session
// (and again at each restart).
func streamHeader(to, lang string) []byte {
	h := `<stream:stream xmlns="jabber:client" xmlns:stream="http://etherx.jabber.org/streams" version="1.0"`
	if to != "" {
		h += ` to="` + escapeAttr(to) + `"`
	}
	if lang != "" {
		h += ` xml:lang="` + escapeAttr(lang) + `"`
	}
	return []byte(h + ">")
}

// create starts a session (XEP-0124 section 7, XEP-0206 section 3).
func (h *Handler) create(w http.ResponseWriter, r *http.Request, b *Body) {
	if b.RID == 0 {
		reply(w, http.StatusBadRequest, terminate("bad-request"))
		return
	}
	wait := h.cfg.MaxWait
	if b.Wait >= 0 && time.Duration(b.Wait)*time.Second < wait {
		wait = time.Duration(b.Wait) * time.Second
	}
	hold := h.cfg.MaxHold
	if b.Hold >= 0 && b.Hold < hold {
		hold = b.Hold
	}
	s := &session{
		h: h, sid: strings.ToLower(rand.Text()), wait: wait, hold: hold, secure: r.TLS != nil,
		notify: make(chan struct{}), nextRID: b.RID + 1, responses: map[int64][]byte{},
		to: b.To, lang: b.Lang, active: 1,
	}
	h.mu.Lock()
	if len(h.sessions) >= h.cfg.MaxSessions {
		h.mu.Unlock()
		reply(w, http.StatusServiceUnavailable, terminate("remote-connection-failed"))
		return
	}
	h.sessions[s.sid] = s
	h.wg.Add(1)
	h.mu.Unlock()

	s.in = streamHeader(b.To, b.Lang)
	for _, p := range b.Payload {
		s.in = append(s.in, p...)
	}
	local, remote := httpconn.Addrs(r)
	c := &conn{s: s, local: local, remote: remote}
	go func() {
		defer h.wg.Done()
		_ = h.cfg.Serve(c, s.secure)
		_ = c.Close()
		// The session stays until a request has carried its terminating
		// body to the client (or Inactivity passes): a client whose
		// stream the server ended learns why, not just item-not-found.
		s.mu.Lock()
		over := s.gone || s.final
		s.mu.Unlock()
		if over {
			h.remove(s)
		}
	}()

	// Answer with the stream features, as Prosody does, so that the
	// client can authenticate with its next request.
	deadline := time.Now().Add(wait)
	s.mu.Lock()
	for len(s.out) == 0 && !s.ended {
		ch := s.notify
		s.mu.Unlock()
		ok := waitFor(ch, deadline, r.Context().Done())
		s.mu.Lock()
		if !ok {
			break
		}
	}
	var attrs strings.Builder
	fmt.Fprintf(&attrs, ` sid="%s" wait="%d" requests="%d" hold="%d" inactivity="%d" polling="1" ver="1.11" from="%s" authid="%s" secure="%t" xmpp:version="1.0" xmpp:restartlogic="true" xmlns:xmpp="%s" ack="%d"`,
		s.sid, int(wait/time.Second), hold+1, hold, int(h.cfg.Inactivity/time.Second), escapeAttr(h.cfg.Domain), s.authid, s.secure, NSXBOSH, b.RID)
	status, resp := s.responseLocked(attrs.String())
	s.responses[b.RID] = resp
	s.doneLocked()
	final := s.final
	s.mu.Unlock()
	if final {
		h.remove(s)
	}
	reply(w, status, resp)
}

// responseLocked takes everything queued for the client into one response
// body with extra attributes attrs; after the server ended the stream it
// is the terminating body.
func (s *session) responseLocked(attrs string) (int, []byte) {
	out := s.out
	s.out, s.outBytes = nil, 0
	s.broadcastLocked() // writers waiting for room
	if s.ended && len(out) == 0 || s.ended && s.streamErr != nil {
		cond := ""
		if s.streamErr != nil {
			cond = "remote-stream-error"
			out = append(out, s.streamErr)
		}
		s.final = true
		return http.StatusOK, terminate(cond, out...)
	}
	var b strings.Builder
	b.WriteString(`<body xmlns="` + NSHTTPBind + `"` + attrs)
	if len(out) == 0 {
		b.WriteString("/>")
		return http.StatusOK, []byte(b.String())
	}
	if !strings.Contains(attrs, "xmlns:stream") {
		b.WriteString(` xmlns:stream="http://etherx.jabber.org/streams"`)
	}
	b.WriteString(">")
	for _, e := range out {
		b.Write(e)
	}
	b.WriteString("</body>")
	return http.StatusOK, []byte(b.String())
}

// doneLocked ends one request's life in the session: with none left open,
// the inactivity clock starts.
func (s *session) doneLocked() {
	s.active--
	if s.active == 0 && !s.gone {
		if s.timer != nil {
			s.timer.Stop()
		}
		s.timer = time.AfterFunc(s.h.cfg.Inactivity, func() { s.h.expire(s, "") })
	}
}

// expire ends a session whose client stopped polling (cond "") or broke
// the rules (cond is the terminate condition): the c2s stream reads the end
// of its input and tears down as for a vanished TCP client.
func (h *Handler) expire(s *session, cond string) {
	s.mu.Lock()
	if cond == "" && s.active > 0 {
		s.mu.Unlock()
		return
	}
	s.killLocked()
	s.mu.Unlock()
	h.remove(s)
}

func (s *session) killLocked() {
	s.gone, s.inClosed = true, true
	if s.timer != nil {
		s.timer.Stop()
	}
	s.broadcastLocked()
}

func (h *Handler) remove(s *session) {
	h.mu.Lock()
	if h.sessions[s.sid] == s {
		delete(h.sessions, s.sid)
	}
	h.mu.Unlock()
}

// request handles a request of an existing session.
func (h *Handler) request(w http.ResponseWriter, r *http.Request, s *session, b *Body) {
	s.mu.Lock()
	if s.timer != nil {
		s.timer.Stop()
	}
	s.active++
	fail := func(status int, cond string) {
		s.killLocked()
		s.doneLocked()
		s.mu.Unlock()
		h.remove(s)
		reply(w, status, terminate(cond))
	}
	switch {
	case s.gone:
		s.doneLocked()
		s.mu.Unlock()
		reply(w, http.StatusNotFound, terminate("item-not-found"))
		return
	case s.active > s.hold+1:
		// More requests open than the 'requests' attribute allows
		// (XEP-0124 section 11).
		fail(http.StatusForbidden, "policy-violation")
		return
	case b.RID < s.nextRID:
		// A retransmission: the same answer again (section 14.3).
		if resp, ok := s.responses[b.RID]; ok {
			s.doneLocked()
			s.mu.Unlock()
			reply(w, http.StatusOK, resp)
			return
		}
		fail(http.StatusNotFound, "item-not-found")
		return
	case b.RID >= s.nextRID+int64(s.hold+1):
		fail(http.StatusNotFound, "item-not-found")
		return
	}
	// Requests are processed in rid order: a later one that overtook an
	// earlier one on another connection waits for it.
	deadline := time.Now().Add(s.wait)
	for b.RID > s.nextRID && !s.gone {
		ch := s.notify
		s.mu.Unlock()
		ok := waitFor(ch, deadline, r.Context().Done())
		s.mu.Lock()
		if !ok {
			fail(http.StatusNotFound, "item-not-found")
			return
		}
	}
	if s.gone {
		s.doneLocked()
		s.mu.Unlock()
		reply(w, http.StatusNotFound, terminate("item-not-found"))
		return
	}
	s.nextRID = b.RID + 1
	if b.Restart {
		s.feedLocked(streamHeader(s.to, s.lang))
	}
	for _, p := range b.Payload {
		s.feedLocked(p)
	}
	if len(b.Payload) == 0 && !b.Restart && b.Type == "" {
		// An empty request is BOSH's keepalive: to the stream it is a
		// whitespace one (RFC 6120 section 4.6.1), which restarts the
		// server's idle timer as on TCP.
		s.feedLocked([]byte{' '})
	}
	if b.Type == "terminate" {
		// The client ends the session, possibly with a last presence
		// (section 13): the stream closes cleanly behind it.
		s.feedLocked([]byte("</stream:stream>"))
		s.inClosed = true
		resp := terminate("")
		s.responses[b.RID] = resp
		s.doneLocked()
		s.broadcastLocked()
		s.mu.Unlock()
		h.remove(s)
		reply(w, http.StatusOK, resp)
		return
	}
	s.broadcastLocked() // an earlier-rid request waiting for this one

	me := &held{}
	s.held = append(s.held, me)
	if len(s.held) > s.hold {
		// Hold exceeded: the oldest held request answers now (section 11).
		s.held[0].released = true
		s.held = s.held[1:]
		s.broadcastLocked()
	}
	for len(s.out) == 0 && !s.ended && !me.released && !s.gone {
		ch := s.notify
		s.mu.Unlock()
		ok := waitFor(ch, deadline, r.Context().Done())
		s.mu.Lock()
		if !ok {
			break
		}
	}
	for i, x := range s.held {
		if x == me {
			s.held = append(s.held[:i], s.held[i+1:]...)
			break
		}
	}
	var status int
	var resp []byte
	if s.gone {
		status, resp = http.StatusNotFound, terminate("item-not-found")
	} else {
		status, resp = s.responseLocked("")
	}
	s.responses[b.RID] = resp
	delete(s.responses, b.RID-int64(s.hold+1))
	s.doneLocked()
	final := s.final
	s.mu.Unlock()
	if final {
		h.remove(s)
	}
	reply(w, status, resp)
}
