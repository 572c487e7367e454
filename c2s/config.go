package c2s

import (
	"crypto/tls"
	"log/slog"
	"net"
	"sync"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/muctest/muctest/c2sapi"
	"github.com/muctest/muctest/netpoll"
	"github.com/muctest/muctest/xmlnode"
)

// Config is what every Session of one server shares. The server builds it
// once; Sessions only read it.
type Config struct {
	// Domain is the server's domain: the only value accepted in the stream
	// header's "to" and the domainpart of every bound JID.
	Domain string
	// TLS, when non-nil, enables STARTTLS (RFC 6120 section 5). RequireTLS
	// withholds SASL until the stream is encrypted.
	TLS        *tls.Config
	RequireTLS bool
	// Auth checks credentials during SASL.
	Auth Authenticator
	// Mechanisms are the SASL mechanisms offered, in order; nil offers
	// every supported one (AllMechanisms). Others are refused with
	// invalid-mechanism.
	Mechanisms []string
	// SASL2 offers XEP-0388's SASL profile next to RFC 6120's, with the
	// same mechanisms, and XEP-0386's Bind2 inline; Bind2 lists the
	// features a client may ask for inside its <bind/> (they run only
	// when Host is an InlineHost). sasl2.go.
	SASL2 bool
	Bind2 []Bind2Feature
	// SASL2Inline lists the other requests a client may make inline in
	// SASL2's <authenticate/> (XEP-0198's <resume/>).
	SASL2Inline []SASL2Feature
	// Host binds resources and receives the stanzas of bound sessions.
	Host Host
	// Features are offered after authentication, after <bind/>, in order.
	// Elements handle the top-level elements that are not stanzas.
	Features []Feature
	Elements []ElementHandler
	// Limits bound what one peer may send.
	Limits Limits
	// MaxQueue is how many stanzas may wait in one session's outbound queue
	// before the session is judged too slow and disconnected; 0 means
	// DefaultMaxQueue.
	MaxQueue int
	// AllowAuth, when set, is asked before every SASL attempt with the
	// peer's address; false ends the stream with policy-violation. The
	// server uses it for its per-IP authentication rate.
	AllowAuth func(remote net.Addr) bool
	// AuthThrottle, when set, slows password guessing: it is asked before
	// credentials are checked and told how the check went.
	AuthThrottle AuthThrottle
	// Busy, when set, is told +n when work starts (a stanza is read, queued
	// or a teardown begins) and -n when it ends; the server sums it for
	// WaitIdle.
	Busy func(delta int)
	// InFlight is the server's budget of bytes being read
	// (Limits.MaxInFlightBytes), QueueBudget of bytes queued for clients
	// (Limits.MaxQueueTotalBytes), each shared by every session and by
	// every copy of the Config (NewBudget); nil leaves them unbounded
	// together.
	InFlight, QueueBudget *Budget
	// Poller, when set, holds idle bound sessions without a goroutine
	// each (package netpoll); nil keeps one goroutine per session. The
	// owner closes it after every session has ended.
	Poller *netpoll.Poller
	// ParkAfter is how long a bound session waits in Read for more input
	// before it parks; zero means DefaultParkAfter. Parking and waking cost
	// a hop through the Poller's thread (tens of microseconds), which a
	// session in a conversation, or driven by a test script, should not
	// pay for every stanza.
	ParkAfter time.Duration
	// ReadLimiter, when set, holds the read allowances (Limits.ReadRate)
	// of accounts, shared by the sessions of each, and lets sessions over
	// theirs work only a few at a time; nil gives every session its own
	// allowance and no such turn.
	ReadLimiter *ReadLimiter
	// Ended, when set, is called once per session when it has ended (the
	// connection closed, every goroutine of the session done or about to
	// return): the owner's place to forget it, since Run may return
	// earlier than that.
	Ended func(*Session)
	// Logger receives connection events; Trace additionally logs every
	// stanza read and written at debug level.
	Logger *slog.Logger
	Trace  bool
}

// Limits bound what one client may send; zero fields take the defaults.
// They are hooks for hostile-input tests as much as protection.
type Limits struct {
	// MaxStanzaBytes bounds one top-level element (and whitespace between
	// stanzas); exceeding it is a policy-violation stream error.
	MaxStanzaBytes int64
	// MaxUnauthedStanzaBytes is MaxStanzaBytes until a resource is bound
	// (the stream header, SASL, bind): what an anonymous peer may make
	// the server buffer. Prosody's c2s_unauthed_stanza_size_limit.
	MaxUnauthedStanzaBytes int64
	// MaxInFlightBytes bounds the bytes of the stanzas being read, past
	// the first 2 KiB of each, over every session of the server together
	// (inflight.go); a session that would go past it ends with a
	// resource-constraint stream error. Zero means
	// DefaultMaxInFlightBytes, negative no bound.
	MaxInFlightBytes int64
	// MaxQueueTotalBytes bounds the bytes queued for clients, past the
	// first 16 KiB of each queue, over every session together
	// (outbudget.go); a session whose queue would go past it is
	// disconnected as too slow, as over MaxQueueBytes. Zero means
	// DefaultMaxQueueTotalBytes, negative no bound.
	MaxQueueTotalBytes int64
	// MaxDepth, MaxAttrs and MaxElements are passed to xmlnode.Read:
	// nesting depth, attributes on one element (and on the stream
	// header), elements in one stanza. A stanza over one is a
	// policy-violation stream error.
	MaxDepth    int
	MaxAttrs    int
	MaxElements int
	// MaxTreeBytes bounds the memory one stanza's element tree may
	// take (xmlnode.Limits.MaxTreeBytes), whatever its shape: within
	// MaxStanzaBytes, many short attributes cost about ten bytes per
	// wire byte and are bounded by no count. Over it is a
	// policy-violation stream error. Zero means three times
	// MaxStanzaBytes.
	MaxTreeBytes int
	// MaxHeaderNamespaces bounds the namespace declarations of a stream
	// header, which every stanza of the stream is checked against and an
	// idle session keeps (to rebuild its decoder when it wakes); over it
	// the stream fails with policy-violation.
	MaxHeaderNamespaces int
	// NegotiationTimeout bounds the time from connect to a bound resource,
	// so that idle unauthenticated connections do not pile up.
	NegotiationTimeout time.Duration
	// IdleTimeout, when set, ends a bound session that sends nothing (not
	// even a whitespace keepalive) for that long, and bounds the time one
	// stanza may take to arrive (slowloris), with a connection-timeout
	// stream error. Zero means no idle limit: idle XMPP clients are normal.
	IdleTimeout time.Duration
	// StanzaTimeout bounds the time from a stanza's first byte to its last
	// on a bound session, whether or not IdleTimeout is set; over it the
	// session ends with a connection-timeout stream error. Zero means
	// DefaultStanzaTimeout, negative no bound.
	StanzaTimeout time.Duration
	// WriteTimeout bounds one write to a client that does not read; the
	// session is then dropped. Zero means DefaultWriteTimeout.
	WriteTimeout time.Duration
	// OverflowStep is how long a client past its queue limits may read
	// nothing before it is closed (overflowLocked). Zero means a second;
	// tests of the overflow set less, so as not to wait it out.
	OverflowStep time.Duration
	// MaxQueueBytes bounds the serialised stanzas waiting for one client
	// (MUC history, archive pages and broadcasts count alike). A session
	// over it is told resource-constraint and closed, and what it had
	// queued is dropped at once. Zero means DefaultMaxQueueBytes.
	MaxQueueBytes int
	// ReadRate bounds the bytes per second the server reads from one
	// client on average (from one account's sessions together once
	// authenticated, with Config.ReadLimiter), ReadBurst those it reads at
	// once after a quiet spell (ratelimit.go, Prosody's mod_limits): a
	// client sending faster is not disconnected, the server stops
	// reading it until its allowance is back. Zero or negative ReadRate
	// means no limit (cmd/mucd sets DefaultReadRate); zero ReadBurst
	// means MaxStanzaBytes or one second at ReadRate, whichever is more.
	ReadRate  int64
	ReadBurst int64
	// StanzaCost is the bytes each stanza read from a bound session
	// counts for against ReadRate besides its own size, since what a
	// stanza costs the server is mostly per stanza (stanzacost.go). Zero
	// or negative counts bytes only (cmd/mucd sets DefaultStanzaCost).
	StanzaCost int64
}

// Defaults for zero Limits and Config fields.
const (
	DefaultMaxStanzaBytes = 256 << 10
	DefaultMaxDepth       = 64
	DefaultMaxAttrs       = 64
	// DefaultMaxUnauthedStanzaBytes is Prosody's default.
	DefaultMaxUnauthedStanzaBytes = 10000
	// DefaultMaxElements holds a bookmark list of 1,000 rooms (about
	// 430 KB of tree); an element tree costs about 24 bytes per wire
	// byte at worst (many tiny elements), so this also bounds such a
	// stanza's tree to about 480 KB. MaxTreeBytes bounds the others.
	DefaultMaxElements = 5000
	// DefaultMaxHeaderNamespaces is far more than any client declares
	// (two, sometimes three).
	DefaultMaxHeaderNamespaces = 16
	DefaultMaxQueue            = 10000
	// DefaultMaxQueueBytes holds a large burst for a client that reads
	// (a join: the occupant list of a room of thousands and a MUC history
	// of up to a MiB, see muc.DefaultMaxHistoryBytes) while 40 clients
	// that never read hold 120 MB, not counting the kernel's buffers.
	DefaultMaxQueueBytes = 3 << 20
	DefaultParkAfter     = 25 * time.Millisecond
	// DefaultStanzaTimeout leaves a client on a slow mobile link ample
	// time for a large stanza.
	DefaultStanzaTimeout = 30 * time.Second
	// DefaultNegotiationTimeout is generous: it only exists to reap
	// connections that never authenticate.
	DefaultNegotiationTimeout = 60 * time.Second
)

func (l Limits) withDefaults() Limits {
	if l.MaxStanzaBytes <= 0 {
		l.MaxStanzaBytes = DefaultMaxStanzaBytes
	}
	if l.MaxUnauthedStanzaBytes <= 0 {
		l.MaxUnauthedStanzaBytes = min(DefaultMaxUnauthedStanzaBytes, l.MaxStanzaBytes)
	}
	if l.MaxElements <= 0 {
		l.MaxElements = DefaultMaxElements
	}
	if l.MaxTreeBytes <= 0 {
		l.MaxTreeBytes = int(min(3*l.MaxStanzaBytes, 1<<40))
	}
	if l.MaxHeaderNamespaces <= 0 {
		l.MaxHeaderNamespaces = DefaultMaxHeaderNamespaces
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxAttrs <= 0 {
		l.MaxAttrs = DefaultMaxAttrs
	}
	if l.NegotiationTimeout <= 0 {
		l.NegotiationTimeout = DefaultNegotiationTimeout
	}
	if l.WriteTimeout <= 0 {
		l.WriteTimeout = DefaultWriteTimeout
	}
	if l.StanzaTimeout == 0 {
		l.StanzaTimeout = DefaultStanzaTimeout
	}
	if l.MaxQueueBytes <= 0 {
		l.MaxQueueBytes = DefaultMaxQueueBytes
	}
	if l.ReadRate > 0 && l.ReadBurst <= 0 {
		l.ReadBurst = max(l.MaxStanzaBytes, l.ReadRate)
	}
	return l
}

// Authenticator is the account store as SASL sees it, and
// AddrAuthenticator one that wants the peer's address with a PLAIN check.
// They live in package c2sapi, so that the router implements them without
// importing c2s.
type (
	Authenticator     = c2sapi.Authenticator
	AddrAuthenticator = c2sapi.AddrAuthenticator
)

// AuthThrottle slows down password guessing, per account and per peer
// address. A peer or account it holds back gets the SASL failure
// temporary-auth-failure (RFC 6120 section 6.5.12) without its credentials
// being checked, and may retry later on the same stream.
type AuthThrottle interface {
	// Allow reports whether credentials for user (a normalised localpart,
	// "" when the mechanism has not named it yet) from remote may be
	// checked now.
	Allow(remote net.Addr, user string) bool
	// Failed records credentials for user that did not verify, Succeeded
	// ones that did.
	Failed(remote net.Addr, user string)
	Succeeded(remote net.Addr, user string)
}

// Host is the server side of a Session once it is authenticated.
type Host interface {
	// Bind makes s reachable at full (s.JID() already returns it). It must
	// queue reply (the bind result) with s.Send before anything else can be
	// delivered to s, and replace any older session of the same full JID.
	// It returns the Handler for s's stanzas.
	Bind(s *Session, full jid.JID, reply *xmlnode.Element) (Handler, error)
}

// Handler processes the stanzas of one bound session. It lives in package
// c2sapi, so that the router implements it without importing c2s.
type Handler = c2sapi.Handler

// *Session is the c2sapi.Session that modules' stream features and element
// handlers get (the server passes it on to them).
var _ c2sapi.Session = (*Session)(nil)

// sharedLimits returns l with the defaults filled in, as one copy shared by
// every session with the same l (a server has one Limits, a test suite a
// handful), so that a session holds a pointer rather than the whole
// struct. Past maxSharedLimits distinct values a session gets a copy of
// its own, so that the table stays small whatever a program does.
func sharedLimits(l Limits) *Limits {
	limitsTable.mu.Lock()
	defer limitsTable.mu.Unlock()
	if p := limitsTable.m[l]; p != nil {
		return p
	}
	p := new(Limits)
	*p = l.withDefaults()
	if len(limitsTable.m) < maxSharedLimits {
		if limitsTable.m == nil {
			limitsTable.m = make(map[Limits]*Limits)
		}
		limitsTable.m[l] = p
	}
	return p
}

const maxSharedLimits = 64

var limitsTable struct {
	mu sync.Mutex
	m  map[Limits]*Limits
}
