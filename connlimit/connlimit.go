// Package connlimit bounds what a flood of TCP connections can cost a
// server: it wraps a net.Listener so that Accept survives running out of
// descriptors or kernel memory (EMFILE, ENFILE, ENOBUFS, ENOMEM: it backs
// off and retries, as net/http's Server.Serve does, instead of returning),
// and so that connections over a global cap or over a per-IP cap of
// concurrent connections are refused before anything is read from them.
// Each accepted connection holds a slot until it is closed.
//
// A refusal is handed to Config.Refuse, which may write a few bytes (an
// XMPP server writes a stream header and a stream error, RFC 6120 section
// 4.9) before the listener closes the connection; nothing is ever read from
// a refused connection.
package connlimit

import (
	"errors"
	"log/slog"
	"net"
	"sync"
	"syscall"
	"time"
)

// Reason says which cap refused a connection.
type Reason int

const (
	// TooManyConns: the global cap (Config.MaxConns) is reached.
	TooManyConns Reason = iota + 1
	// TooManyFromIP: the peer's address holds Config.MaxPerIP connections.
	TooManyFromIP
)

func (r Reason) String() string {
	switch r {
	case TooManyConns:
		return "too many connections"
	case TooManyFromIP:
		return "too many connections from one address"
	}
	return "unknown"
}

// Config sets the caps of a Listener. Zero fields take the defaults; a
// negative cap means no cap.
type Config struct {
	// MaxConns bounds the connections open at once through this listener;
	// 0 means DefaultMaxConns(), derived from RLIMIT_NOFILE.
	MaxConns int
	// MaxPerIP bounds the connections open at once from one IP address;
	// 0 means DefaultMaxPerIP.
	MaxPerIP int
	// Refuse, when set, is called with every connection over a cap, in
	// Accept's goroutine, before the listener closes it. It must not
	// block: a refusal's few bytes fit in a fresh socket's send buffer, so
	// a write with a short deadline does. Nil just closes.
	Refuse func(c net.Conn, why Reason)
	// Logger receives one line per burst of accept errors and per burst of
	// refusals; nil discards.
	Logger *slog.Logger
}

// DefaultMaxPerIP is the per-address cap when Config.MaxPerIP is zero:
// enough for a large NAT (an office, a carrier-grade NAT) or a load test,
// far below what a single host takes to exhaust the descriptor table.
const DefaultMaxPerIP = 1000

// Headroom is what DefaultMaxConns keeps of the descriptor limit for
// everything that is not a client connection (listeners, the poller, log
// and data files, outgoing connections): an eighth, and at least 32.
func headroom(limit int) int { return max(32, limit/8) }

// DefaultMaxConns returns the global cap used when Config.MaxConns is
// zero: the process's soft RLIMIT_NOFILE (which the Go runtime raises to
// the hard limit at start) less headroom, so that the cap is met before
// accept(2) fails with EMFILE. Where the limit cannot be read it is 10,000.
func DefaultMaxConns() int {
	limit := nofile()
	if limit <= 0 {
		return 10000
	}
	return max(1, limit-headroom(limit))
}

// Accept's backoff after a temporary error: 5 ms doubling to 1 s, as
// net/http's Serve.
const (
	minBackoff = 5 * time.Millisecond
	maxBackoff = time.Second
)

// Listener is a net.Listener with caps; make it with New.
type Listener struct {
	net.Listener
	maxConns, maxPerIP int
	refuse             func(net.Conn, Reason)
	log                *slog.Logger

	closed    chan struct{} // closed by Close: wakes a backing-off Accept
	closeOnce sync.Once

	mu    sync.Mutex
	open  int
	perIP map[string]int

	// Bursts, counted for one log line each (Accept's goroutine only).
	errBurst, refusedBurst int
	lastRefusedLog         time.Time
}

// New wraps ln.
func New(ln net.Listener, cfg Config) *Listener {
	l := &Listener{
		Listener: ln,
		maxConns: cfg.MaxConns,
		maxPerIP: cfg.MaxPerIP,
		refuse:   cfg.Refuse,
		log:      cfg.Logger,
		closed:   make(chan struct{}),
		perIP:    map[string]int{},
	}
	if l.maxConns == 0 {
		l.maxConns = DefaultMaxConns()
	}
	if l.maxPerIP == 0 {
		l.maxPerIP = DefaultMaxPerIP
	}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	return l
}

// Limits returns the caps in force (a negative one is no cap).
func (l *Listener) Limits() (maxConns, maxPerIP int) { return l.maxConns, l.maxPerIP }

// Open returns how many accepted connections are open.
func (l *Listener) Open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open
}

// Close closes the listener; an Accept backing off returns at once.
func (l *Listener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// Temporary reports whether err from accept(2) is one a server should wait
// out rather than stop for: the process or the system is out of
// descriptors, buffers or memory, or the error says it is temporary.
func Temporary(err error) bool {
	for _, e := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM, syscall.ECONNABORTED, syscall.EAGAIN} {
		if errors.Is(err, e) {
			return true
		}
	}
	var te interface{ Temporary() bool }
	return errors.As(err, &te) && te.Temporary()
}

// Accept waits for the next connection within the caps. Temporary errors
// are retried with backoff (logged once per burst); connections over a cap
// are refused and closed, and Accept goes on waiting.
func (l *Listener) Accept() (net.Conn, error) {
	var delay time.Duration
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			if !Temporary(err) {
				return nil, err
			}
			if l.errBurst == 0 {
				l.log.Warn("connlimit: accept failing, backing off", "err", err)
			}
			l.errBurst++
			delay = min(max(2*delay, minBackoff), maxBackoff)
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-l.closed:
				t.Stop()
				return nil, net.ErrClosed
			}
			continue
		}
		if l.errBurst > 0 {
			l.log.Info("connlimit: accepting again", "failed_accepts", l.errBurst)
			l.errBurst = 0
		}
		delay = 0
		ip := ipOf(c.RemoteAddr())
		if why := l.admit(ip); why != 0 {
			l.refused(c, why)
			continue
		}
		return wrap(c, l, ip), nil
	}
}

// admit takes a slot for ip, or says which cap refuses it.
func (l *Listener) admit(ip string) Reason {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.maxConns > 0 && l.open >= l.maxConns {
		return TooManyConns
	}
	if l.maxPerIP > 0 && l.perIP[ip] >= l.maxPerIP {
		return TooManyFromIP
	}
	l.open++
	l.perIP[ip]++
	return 0
}

func (l *Listener) release(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if n := l.perIP[ip] - 1; n > 0 {
		l.perIP[ip] = n
	} else {
		delete(l.perIP, ip) // the table holds only addresses with connections
	}
}

// refusedLogEvery spaces the refusal log lines of a sustained flood.
const refusedLogEvery = 10 * time.Second

func (l *Listener) refused(c net.Conn, why Reason) {
	if l.refuse != nil {
		l.refuse(c, why)
	}
	_ = c.Close()
	l.refusedBurst++
	if now := time.Now(); now.Sub(l.lastRefusedLog) >= refusedLogEvery {
		l.log.Warn("connlimit: refusing connections", "reason", why.String(), "remote", c.RemoteAddr().String(),
			"refused", l.refusedBurst, "max_conns", l.maxConns, "max_per_ip", l.maxPerIP)
		l.lastRefusedLog, l.refusedBurst = now, 0
	}
}

func ipOf(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	if a == nil {
		return ""
	}
	if h, _, err := net.SplitHostPort(a.String()); err == nil {
		return h
	}
	return a.String()
}
