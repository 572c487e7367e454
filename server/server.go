// Package server is the in-process XMPP server that a program or a test
// embeds: it accepts client connections (package c2s), hands their stanzas
// to the routing core (package router, RFC 6120 and RFC 6121), and mounts
// the default set of feature modules (defaults.go: one package per XEP
// under mod/) and the MUC service (package muc, XEP-0045) at
// conference.<domain>. Config adds modules of one's own and leaves default
// ones out.
//
// It is shaped like net/http: a Server is a value with Serve(net.Listener),
// Close() and Shutdown(ctx), HTTPHandler() is the mux the modules' HTTP
// routes are on, and servertest starts one on loopback for a Go test.
//
// Routing is synchronous: the goroutine that read a stanza routes it, and
// every delivery is appended to the recipients' outbound queues before that
// goroutine reads the next stanza. WaitIdle reports when nothing is being
// routed, queued or torn down, which lets a test runner step through a
// script without sleeping. Where RFC 6121 leaves room, the server behaves
// like Prosody 0.12 as configured for its scansion tests, because Prosody's
// scripts are the conformance bar.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/muctest/muctest/c2s"
	"github.com/muctest/muctest/component"
	"github.com/muctest/muctest/internal/idle"
	"github.com/muctest/muctest/jidcheck"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/muc"
	"github.com/muctest/muctest/netpoll"
	"github.com/muctest/muctest/quota"
	"github.com/muctest/muctest/router"
	"github.com/muctest/muctest/throttle"
	"github.com/muctest/muctest/web"
)

// Config sets up a Server. The zero value is a usable test server: domain
// "localhost", any password accepted, MUC at conference.localhost, STARTTLS
// offered but not required.
type Config struct {
	// Domain is the server's domain; "localhost" when empty.
	Domain string
	// MUCDomain is where the MUC service is mounted; "conference.<Domain>"
	// when empty. Set NoMUC to run without one.
	MUCDomain string
	NoMUC     bool
	// Accounts are fixed name -> password pairs that exist from the start.
	Accounts map[string]string
	// AnyPassword is the test mode of Prosody's scansion config: PLAIN
	// accepts any password and creates the account on first login. The zero
	// Config (no Accounts) behaves as if it were set.
	AnyPassword bool
	// NoSASL2 offers RFC 6120 SASL only, not XEP-0388 SASL2 with Bind2.
	NoSASL2 bool
	// Mechanisms are the SASL mechanisms offered (see c2s.AllMechanisms).
	// By default all of them with fixed accounts, but only PLAIN in
	// any-password mode, as Prosody's insecure auth does: clients pick the
	// strongest mechanism offered, and SCRAM cannot succeed for an account
	// whose password the server has not learned yet. SCRAM still verifies
	// the stored password of existing accounts when offered explicitly.
	Mechanisms []string
	// AllowRegistration opens XEP-0077 in-band registration of new
	// accounts before authentication (Prosody's allow_registration; off by
	// default, as there). Password change and account removal are always on.
	AllowRegistration bool
	// ArchiveAlways archives every account's messages (XEP-0313) from the
	// start, as Prosody does by default. Without it an account's archive
	// starts once its client first uses MAM, as with mam_smart_enable,
	// which Prosody's scansion configuration sets and its scripts assume.
	ArchiveAlways bool
	// PubsubLocalCreate lets every local account create pubsub nodes, as
	// ejabberd; without it only Admins do, as Prosody's test config.
	PubsubLocalCreate bool
	// Admins are bare JIDs with server (and MUC service) admin rights.
	Admins []string
	// TLS, when set, is used for STARTTLS; when nil a self-signed
	// certificate for Domain is generated at New. RequireTLS makes STARTTLS
	// mandatory before authentication. NoTLS disables STARTTLS entirely.
	TLS        *tls.Config
	RequireTLS bool
	NoTLS      bool
	// Logger receives structured logs; nil discards them. TraceStanzas
	// logs every stanza in and out at debug level.
	Logger       *slog.Logger
	TraceStanzas bool
	// Limits bound what one client may send (stanza size, nesting depth,
	// attributes per element); zero fields take c2s defaults.
	Limits c2s.Limits
	// MaxQueue is how many stanzas may wait for one slow client before it
	// is disconnected; 0 takes the c2s default.
	MaxQueue int
	// ConnRate bounds new connections per remote IP; one over the rate is
	// answered with a policy-violation stream error and closed. AuthRate
	// bounds SASL attempts per remote IP the same way. Zero values allow
	// everything (a test server on loopback); see RateLimit.
	ConnRate RateLimit
	AuthRate RateLimit
	// MaxConns and MaxConnsPerIP cap the connections open at once, in
	// all and from one IP address (package connlimit); one over a cap is
	// refused with a stream error before anything is read from it. Zero
	// takes connlimit's defaults (from RLIMIT_NOFILE with headroom, and
	// connlimit.DefaultMaxPerIP), a negative value means no cap.
	MaxConns, MaxConnsPerIP int
	// AuthBackoff throttles failed SASL attempts per account and per IP
	// address; the zero value is on with its defaults.
	AuthBackoff AuthBackoff
	// Quotas bound the state stored per account and per room (offline
	// messages, roster, private XML, vCards, blocklists, archives,
	// resources, accounts any-password mode creates); zero fields take
	// package quota's defaults, negative ones mean no limit.
	Quotas quota.Limits
	// MUCLimits bound rooms per user and occupants per room in the MUC
	// service New builds (zero fields: no limit, but MaxRoomsPerIP, whose
	// zero is muc.DefaultRoomsPerIPFactor times MaxRoomsPerUser, or
	// muc.DefaultMaxRoomsPerIP, and MaxAffiliations, whose zero is
	// muc.DefaultMaxAffiliations; negative: no limit).
	MUCLimits muc.Limits
	// Web bounds the browser transports (WebSocket and BOSH) of
	// HTTPHandler; zero fields take their packages' defaults.
	Web WebLimits
	// MUCLockTimeout is muc.Config.LockTimeout for the MUC service New
	// builds: how long a room its owner never configures stays locked
	// (zero: muc.DefaultLockTimeout; negative: until configured).
	MUCLockTimeout time.Duration
	// GoroutinePerConn keeps a goroutine blocked in Read for every
	// connection, the usual Go design, instead of handing idle sessions to
	// an epoll-based poller (package netpoll, Linux only) that holds them
	// without one. For comparisons and debugging; it costs a few KiB per
	// idle connection.
	GoroutinePerConn bool
	// ParkAfter is how long a bound session without input keeps its
	// reader goroutine before it parks in the poller; zero means
	// c2s.DefaultParkAfter.
	ParkAfter time.Duration
	// ReleaseMemoryAfter, when positive, makes the server hand the memory
	// its Go heap no longer uses back to the operating system once it has
	// been idle that long after some work (runtime/debug.FreeOSMemory, at
	// most once per quiet spell). The Go runtime would do it too, but only
	// minutes later: an idle program runs no collection before its forced
	// one every two minutes. A standalone server (cmd/mucd uses
	// DefaultReleaseMemoryAfter) thus shrinks back after a load test; it
	// is off by default because it acts on the whole process, which for
	// an in-process server is the caller's test binary.
	ReleaseMemoryAfter time.Duration
	// MUC, when set, is mounted instead of a muc.Service built by New (for
	// tests of the seam). It receives stanzas for MUCDomain and JIDs under it.
	MUC component.Handler
	// Modules are registered after the default set (DefaultModules), for
	// features of one's own; Without names default modules to leave out
	// (by Module.Name, e.g. "carbons"). NoDefaultModules registers only
	// Modules (and the MUC unless NoMUC).
	Modules          []module.Module
	Without          []string
	NoDefaultModules bool
	// Services configures the optional services of the default set
	// (XEP-0363 upload, XEP-0157 contact addresses, XEP-0215 external
	// services); see Services.
	Services Services
	// Components are the XEP-0114 external components that may connect,
	// as domain -> shared secret (mucd -component NAME:SECRET), on the
	// listeners given to ServeComponents; each is mounted at its domain
	// like the MUC, with the same stanza size, depth and attribute limits
	// as client streams.
	Components map[string]string
}

// Server is an XMPP server. Create it with New, feed it listeners with
// Serve, stop it with Close.
type Server struct {
	cfg       Config
	domain    string
	mucDomain string
	log       *slog.Logger
	c2s       c2s.Config
	router    *router.Router
	http      http.Handler // the modules' HTTP routes (web.Mux)

	idle idle.Tracker
	ext  extComponents // Config.Components (components.go)

	connLimit, authLimit *throttle.PerIP // nil when unlimited
	// poller holds idle sessions (c2s.Config.Poller); made with the first
	// listener (its epoll and goroutine start with the first session that
	// parks), closed by Close after every session has ended.
	poller *netpoll.Poller
	// stopRelease ends the ReleaseMemoryAfter goroutine (nil when none).
	stopRelease chan struct{}

	mu        sync.Mutex // guards everything below and all account/session state
	listeners []net.Listener
	conns     map[*c2s.Session]struct{}
	closed    bool
	wg        sync.WaitGroup
}

// New returns a Server for cfg, its modules registered and compiled. It
// does not listen; call Serve.
func New(cfg Config) (*Server, error) {
	s := &Server{cfg: cfg, conns: map[*c2s.Session]struct{}{}}
	s.domain = strings.ToLower(cfg.Domain)
	if s.domain == "" {
		s.domain = "localhost"
	}
	if _, err := jidcheck.NewFast("", s.domain, ""); err != nil {
		return nil, fmt.Errorf("server: bad domain %q: %w", cfg.Domain, err)
	}
	if cfg.Accounts == nil && !cfg.AnyPassword {
		s.cfg.AnyPassword = true
	}
	s.log = cfg.Logger
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	for _, a := range cfg.Admins {
		if _, err := jidcheck.ParseFast(a); err != nil {
			return nil, fmt.Errorf("server: bad admin JID %q: %w", a, err)
		}
	}

	var tlsConf *tls.Config
	if !cfg.NoTLS {
		tlsConf = cfg.TLS
		if tlsConf == nil {
			var err error
			tlsConf, err = selfSigned(s.domain)
			if err != nil {
				return nil, err
			}
		}
	}

	if !cfg.NoMUC {
		s.mucDomain = strings.ToLower(cfg.MUCDomain)
		if s.mucDomain == "" {
			s.mucDomain = "conference." + s.domain
		}
	}
	s.idle.Init()
	if err := s.ext.init(s); err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	mods, err := s.modules()
	if err != nil {
		return nil, err
	}
	mods = s.ext.module(mods)
	s.router, err = router.New(router.Config{
		Domain:      s.domain,
		Accounts:    cfg.Accounts,
		AnyPassword: s.cfg.AnyPassword,
		Logger:      s.log,
		Busy:        s.idle.Add,
		Modules:     mods,
		Quotas:      cfg.Quotas,
	})
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	if s.http, err = web.Mux(s.router.Registrar()); err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}

	s.connLimit = throttle.NewPerIP(cfg.ConnRate)
	s.authLimit = throttle.NewPerIP(cfg.AuthRate)
	s.c2s = c2s.Config{
		Domain:      s.domain,
		TLS:         tlsConf,
		RequireTLS:  cfg.RequireTLS && tlsConf != nil,
		Auth:        s.router.Auth(),
		Mechanisms:  mechanisms(s.cfg),
		Host:        c2sHost{s.router},
		Features:    streamFeatures(s.router.StreamFeatures()),
		Elements:    streamElements(s.router.StreamElements()),
		SASL2:       !cfg.NoSASL2,
		Bind2:       s.router.Bind2Features(),
		SASL2Inline: s.router.SASL2Features(),
		Limits:      cfg.Limits,
		MaxQueue:    cfg.MaxQueue,
		Busy:        s.idle.Add,
		Ended:       s.sessionEnded,
		ParkAfter:   cfg.ParkAfter,
		AllowAuth:   s.authLimit.AllowFunc(),
		Logger:      s.log,
		Trace:       cfg.TraceStanzas,
		InFlight:    c2s.NewBudget(cfg.Limits.MaxInFlightBytes, c2s.DefaultMaxInFlightBytes),
		QueueBudget: c2s.NewBudget(cfg.Limits.MaxQueueTotalBytes, c2s.DefaultMaxQueueTotalBytes),
		ReadLimiter: c2s.NewReadLimiter(),
	}
	s.c2s.AuthThrottle = throttle.NewAuth(cfg.AuthBackoff).Hook()
	return s, nil
}

func mechanisms(cfg Config) []string {
	switch {
	case cfg.Mechanisms != nil:
		return cfg.Mechanisms
	case cfg.AnyPassword:
		return []string{"PLAIN"}
	}
	return c2s.AllMechanisms
}

// Domain returns the server's domain (Config.Domain lower-cased, or the
// "localhost" default), which callers need to build their clients' JIDs.
func (s *Server) Domain() string { return s.domain }

// MUCDomain returns the domain the MUC service is mounted at ("" with
// NoMUC), so that callers can address rooms without repeating the default.
func (s *Server) MUCDomain() string { return s.mucDomain }

// ErrClosed is returned by Serve after Close.
var ErrClosed = errors.New("server: closed")

// Serve accepts connections on ln until Close; it returns nil after Close.
func (s *Server) Serve(ln net.Listener) error {
	ln = s.limitListener(ln)
	if err := s.register(ln); err != nil {
		return err
	}
	return s.accept(ln)
}

// Start registers ln (so Addr returns at once) and serves it in a new
// goroutine, like httptest's Start. The channel receives Serve's result.
func (s *Server) Start(ln net.Listener) <-chan error {
	done := make(chan error, 1)
	ln = s.limitListener(ln)
	if err := s.register(ln); err != nil {
		done <- err
		return done
	}
	go func() { done <- s.accept(ln) }()
	return done
}

func (s *Server) register(ln net.Listener) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		_ = ln.Close()
		return ErrClosed
	}
	s.listeners = append(s.listeners, ln)
	s.wg.Add(1)
	if s.poller == nil && !s.cfg.GoroutinePerConn {
		// Before the first accept loop starts, so that no session reads
		// c2s.Config.Poller while it is set.
		p, err := netpoll.New()
		switch {
		case err == nil:
			s.poller = p
			s.c2s.Poller = p
		case !errors.Is(err, netpoll.ErrUnsupported):
			s.log.Warn("server: no poller, one goroutine per connection", "err", err)
		}
	}
	if s.stopRelease == nil && s.cfg.ReleaseMemoryAfter > 0 {
		s.stopRelease = make(chan struct{})
		s.wg.Add(1)
		go s.releaseMemory(s.cfg.ReleaseMemoryAfter, s.stopRelease, debug.FreeOSMemory)
	}
	return nil
}

func (s *Server) accept(ln net.Listener) error {
	defer s.wg.Done()
	s.log.Info("server: listening", "addr", ln.Addr().String(), "domain", s.domain)
	for {
		conn, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("server: accept: %w", err)
		}
		if !s.connLimit.Allow(conn.RemoteAddr()) {
			s.mu.Lock()
			closed := s.closed
			if !closed {
				s.wg.Add(1)
			}
			s.mu.Unlock()
			if closed {
				_ = conn.Close()
				return nil
			}
			go s.refuse(conn)
			continue
		}
		sess := c2s.New(conn, &s.c2s)
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = conn.Close()
			return nil
		}
		s.conns[sess] = struct{}{}
		s.wg.Add(1) // until sessionEnded
		s.mu.Unlock()
		go sess.Run()
	}
}

// sessionEnded is c2s.Config.Ended: the session's last act. Run may have
// returned long before (a parked session has no goroutine), so sessions
// are counted from accept to here rather than around Run.
func (s *Server) sessionEnded(sess *c2s.Session) {
	s.mu.Lock()
	delete(s.conns, sess)
	s.mu.Unlock()
	s.idle.Poke() // WaitRead's waiters: the session is gone from ConnBytes
	s.wg.Done()
}

// Addr returns the address of the first listener given to Serve, or nil
// before Serve.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.listeners) == 0 {
		return nil
	}
	return s.listeners[0].Addr()
}

// WaitIdle blocks until no stanza is being processed or waiting to be
// written and no connection is being torn down, or until ctx ends. The
// scansion runner uses it instead of sleeping. A session counts as busy
// whenever it is not blocked reading its socket, and (on Linux) bytes that
// reached a socket but were not read yet count too, so a stanza a client
// has written before WaitIdle is routed before WaitIdle returns.
func (s *Server) WaitIdle(ctx context.Context) error {
	backoff := 20 * time.Microsecond
	for {
		if err := s.idle.Wait(ctx); err != nil {
			return err
		}
		gen, _ := s.idle.State()
		if !s.inputPending() {
			// Idle only if no work started while the sockets were looked
			// at: a session that took its input meanwhile is busy now.
			if g, busy := s.idle.State(); !busy && g == gen {
				return nil
			}
			continue
		}
		// Bytes wait in a socket that its session has not woken up for
		// yet; it will be busy in a moment.
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		backoff = min(2*backoff, time.Millisecond)
	}
}

// ConnBytes returns the byte counts (c2s.Session.ConnBytes) of the client
// session whose remote address is remote, e.g. a test client's local
// address; ok is false when no such session lives. The in-process scansion
// runner settles with it instead of a ping round trip per client.
func (s *Server) ConnBytes(remote string) (read, written int64, ok bool) {
	// The runner asks for every client at every step: TCP addresses are
	// compared as values rather than each formatted as a string.
	ap, perr := netip.ParseAddrPort(remote)
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		ra := c.RemoteAddr()
		if ta, isTCP := ra.(*net.TCPAddr); isTCP && perr == nil {
			if tap := ta.AddrPort(); netip.AddrPortFrom(tap.Addr().Unmap(), tap.Port()) != ap {
				continue
			}
		} else if ra.String() != remote {
			continue
		}
		read, written = c.ConnBytes()
		return read, written, true
	}
	return 0, 0, false
}

// inputPending reports whether any connection has received bytes that its
// session has not read yet.
func (s *Server) inputPending() bool {
	if s.ext.pending() {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.Pending() {
			return true
		}
	}
	return false
}

// Close stops every listener, closes every session with a
// system-shutdown stream error, and waits for all goroutines to end.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.wg.Wait()
		return nil
	}
	s.closed = true
	for _, ln := range s.listeners {
		_ = ln.Close()
	}
	if s.stopRelease != nil {
		close(s.stopRelease)
	}
	conns := make([]*c2s.Session, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	// Let the components (the MUC service) tell occupants why they leave
	// (XEP-0045 status 332) before their sessions get the shutdown stream
	// error; those presences are queued ahead of it.
	s.router.Shutdown()
	s.ext.close()
	for _, c := range conns {
		c.CloseWithError(streamSystemShutdown, "server shutting down")
	}
	s.wg.Wait()
	_ = s.router.Close()
	if s.poller != nil {
		// Every session has ended, so none waits in it.
		_ = s.poller.Close()
	}
	return nil
}

// DefaultReleaseMemoryAfter is the ReleaseMemoryAfter of cmd/mucd.
const DefaultReleaseMemoryAfter = time.Second

// releaseMemory is the ReleaseMemoryAfter loop: every d it looks whether
// the server was idle during the whole last period and did work since the
// last release, and if so returns free memory to the system with free.
func (s *Server) releaseMemory(d time.Duration, stop <-chan struct{}, free func()) {
	defer s.wg.Done()
	t := time.NewTicker(d)
	defer t.Stop()
	var seen, released uint64 // work before the loop started counts too
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		gen, busy := s.idle.State()
		if busy || gen != seen {
			seen = gen // work during this period: wait for a quiet one
			continue
		}
		if gen != released {
			free()
			released = gen
		}
	}
}
