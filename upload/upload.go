// Package upload implements XEP-0363 HTTP File Upload: the slot service a
// client asks over XMPP for a place to PUT a file, and the HTTP handler that
// takes the PUT and serves the GET.
//
// It holds no routing: a module mounts a Service as a component (the
// upload.<domain> of Prosody's mod_http_file_share) and feeds it slot
// requests, and the server's HTTP surface serves Service.Handler. The checks
// and the error replies follow mod_http_file_share, which Prosody's
// http_upload.scs pins: an invalid filename and a negative size are
// bad-request, a file over the size limit and a type not allowed are
// not-acceptable, the former with a <file-too-large/> carrying the limit.
//
// Everything a client can make the service keep is bounded: the size of one
// file, the bytes of all files and reserved slots together, the bytes one
// account may upload per day, the number of slots waiting for their PUT,
// the time a file is kept (Config.Expiry), and how fast one account and one
// client address may ask for slots (Config.RequestLimit,
// Config.AddrRequestLimit, ratelimit.go). A slot is a random 128-bit id
// and a token bound to it (HMAC-SHA-256 over the slot, size and type), so a
// PUT needs both and no other account's slot can be written.
package upload

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/muctest/muctest/xmlnode"
)

// NS is the XEP-0363 namespace (version 0).
const NS = "urn:xmpp:http:upload:0"

// Defaults for zero Config fields.
const (
	DefaultMaxFileSize = 10_000_000 // Prosody trunk's scansion configuration
	DefaultTotalQuota  = 256 << 20  // with Dir: files on disk
	// DefaultMemoryQuota is TotalQuota's default without Dir: the files
	// then live in the server's heap, and a flood of full uploads must
	// stay well inside the few hundred MB a dev server may grow by.
	DefaultMemoryQuota = 64 << 20
	DefaultDailyQuota  = 100 << 20
	DefaultMaxPending  = 1000
	DefaultSlotTTL     = 5 * time.Minute
	DefaultExpiry      = 7 * 24 * time.Hour
	DefaultPath        = "/file_share/"
	maxFilenameBytes   = 255
)

// Config sets up a Service. The zero value (with BaseURL) serves files up
// to 10 MB of any type from memory.
type Config struct {
	// Domain is the JID the service answers as (upload.<domain>).
	Domain string
	// UserDomain is the only domain whose accounts may ask for slots, as
	// mod_http_file_share allows only its parent host's users.
	UserDomain string
	// BaseURL is the scheme, host and port the HTTP surface is reached at
	// ("http://127.0.0.1:5280"); slot URLs are BaseURL + Path + slot/name.
	BaseURL string
	// Path is where Handler is mounted; DefaultPath when empty.
	Path string
	// MaxFileSize bounds one file in bytes.
	MaxFileSize int64
	// AllowedTypes lists the content types accepted, with "type/*"
	// wildcards; empty allows every type.
	AllowedTypes []string
	// TotalQuota bounds the bytes of all stored files and reserved slots
	// (DefaultMemoryQuota in memory, DefaultTotalQuota with Dir);
	// DailyQuota the bytes one account may reserve in 24 hours.
	TotalQuota, DailyQuota int64
	// MaxPending bounds the slots handed out and not yet uploaded.
	MaxPending int
	// SlotTTL is how long a slot waits for its PUT; Expiry how long a file
	// is kept after it.
	SlotTTL, Expiry time.Duration
	// RequestLimit bounds the slot requests of one account,
	// AddrRequestLimit those of one client address (all its accounts
	// together), valid or not; a request over either is refused
	// wait/resource-constraint with a <retry/> (ratelimit.go). Zero fields
	// are DefaultRequestLimit's and DefaultAddrRequestLimit's (30 at once
	// then one every 2 s, and four times that); a negative Burst lifts
	// the limit.
	RequestLimit, AddrRequestLimit RateLimit
	// Dir, when set, keeps the files on disk there instead of in memory.
	Dir string
	// Now is the clock, for tests; time.Now when nil.
	Now func() time.Time
}

// Service hands out slots and stores files. Safe for concurrent use.
type Service struct {
	cfg    Config
	secret [32]byte

	mu      sync.Mutex
	slots   map[string]*slot // by id, pending and uploaded
	used    int64            // bytes reserved or stored
	pending int
	daily   map[string]*dayUse // by bare JID
	// swept is when expireLocked last went through every slot: it does
	// so at most once per sweepEvery (a slot request cost a pass over up
	// to MaxPending slots and every owner's daily use, which a flood of
	// requests turned into CPU), and lookups check their own slot.
	swept time.Time
	// byOwner and byAddr are the request buckets (ratelimit.go).
	byOwner limiter[string]
	byAddr  limiter[netip.Addr]
}

// sweepEvery is how often expireLocked goes through every slot and daily
// count: a slot or file is given back to the quotas at most this late,
// and is never served past its time (lookupLocked checks it).
const sweepEvery = time.Second

type slot struct {
	id, name, ctype, owner string
	size                   int64
	issued                 time.Time
	uploaded               time.Time // zero while pending
	data                   []byte    // in-memory files
}

type dayUse struct {
	since time.Time
	bytes int64
}

// New returns a Service for cfg.
func New(cfg Config) (*Service, error) {
	if cfg.Domain == "" || cfg.BaseURL == "" {
		return nil, errors.New("upload: Domain and BaseURL are required")
	}
	if _, err := url.Parse(cfg.BaseURL); err != nil {
		return nil, fmt.Errorf("upload: bad BaseURL: %w", err)
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.Path == "" {
		cfg.Path = DefaultPath
	}
	if !strings.HasSuffix(cfg.Path, "/") {
		cfg.Path += "/"
	}
	if cfg.MaxFileSize <= 0 {
		cfg.MaxFileSize = DefaultMaxFileSize
	}
	if cfg.TotalQuota <= 0 {
		cfg.TotalQuota = DefaultTotalQuota
		if cfg.Dir == "" {
			cfg.TotalQuota = DefaultMemoryQuota
		}
	}
	if cfg.DailyQuota <= 0 {
		cfg.DailyQuota = DefaultDailyQuota
	}
	if cfg.MaxPending <= 0 {
		cfg.MaxPending = DefaultMaxPending
	}
	if cfg.SlotTTL <= 0 {
		cfg.SlotTTL = DefaultSlotTTL
	}
	if cfg.Expiry <= 0 {
		cfg.Expiry = DefaultExpiry
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.RequestLimit = withDefaults(cfg.RequestLimit, DefaultRequestLimit)
	cfg.AddrRequestLimit = withDefaults(cfg.AddrRequestLimit, DefaultAddrRequestLimit)
	if cfg.Dir != "" {
		if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
			return nil, fmt.Errorf("upload: data directory: %w", err)
		}
	}
	s := &Service{cfg: cfg, slots: map[string]*slot{}, daily: map[string]*dayUse{},
		byOwner: newLimiter[string](cfg.RequestLimit), byAddr: newLimiter[netip.Addr](cfg.AddrRequestLimit)}
	if _, err := rand.Read(s.secret[:]); err != nil {
		return nil, fmt.Errorf("upload: secret: %w", err)
	}
	return s, nil
}

// Path returns where Handler expects to be mounted (e.g. "/file_share/").
func (s *Service) Path() string { return s.cfg.Path }

// MaxFileSize returns the size limit, which disco#info advertises in its
// XEP-0363 form.
func (s *Service) MaxFileSize() int64 { return s.cfg.MaxFileSize }

// Error is a refused slot request, in the terms of a stanza error.
type Error struct {
	Type, Condition, Text string
	// MaxFileSize is set for a file over the limit: the reply carries
	// <file-too-large><max-file-size/></file-too-large>.
	MaxFileSize int64
	// RetryAt is set for a client over its request rate: the reply
	// carries <retry stamp/> (XEP-0363 section 5), when it may ask again.
	RetryAt time.Time
}

func (e *Error) Error() string { return "upload: " + e.Condition + ": " + e.Text }

// Append adds the XEP-0363 application condition (if any) to the <error/>
// element of a reply built for e.
func (e *Error) Append(errEl *xmlnode.Element) {
	if e.MaxFileSize > 0 {
		errEl.AddChild(NS, "file-too-large").AddChild(NS, "max-file-size").SetText(strconv.FormatInt(e.MaxFileSize, 10))
	}
	if !e.RetryAt.IsZero() {
		// Rounded up to the second: the stamp (XEP-0082) has no fraction,
		// and a client retrying at it must find a token.
		at := e.RetryAt.UTC().Truncate(time.Second)
		if at.Before(e.RetryAt) {
			at = at.Add(time.Second)
		}
		errEl.AddChild(NS, "retry", "stamp", at.Format(time.RFC3339))
	}
}

// Request answers a slot request, the <request/> child of an iq get from
// the bare JID owner, with the <slot/> payload of the result or an *Error.
// It is RequestFrom with no client address.
func (s *Service) Request(owner string, req *xmlnode.Element) (*xmlnode.Element, error) {
	return s.RequestFrom(owner, netip.Addr{}, req)
}

// RequestFrom is Request for a request read from a client at addr (invalid
// when unknown), which counts against addr's request rate as well as
// owner's.
func (s *Service) RequestFrom(owner string, addr netip.Addr, req *xmlnode.Element) (*xmlnode.Element, error) {
	if s.cfg.UserDomain != "" && domainOf(owner) != s.cfg.UserDomain {
		return nil, &Error{Type: "auth", Condition: "forbidden", Text: "Uploads are for local accounts"}
	}
	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	// Every request counts, valid or not: a flood of bad ones costs the
	// server as much as one of good ones.
	if e := s.throttleLocked(owner, addr, now); e != nil {
		return nil, e
	}
	name := req.Attrib("filename")
	if name == "" || strings.ContainsAny(name, "/\\\x00") || name == "." || name == ".." ||
		len(name) > maxFilenameBytes || !utf8.ValidString(name) {
		return nil, &Error{Type: "modify", Condition: "bad-request", Text: "Invalid filename"}
	}
	size, err := strconv.ParseInt(req.Attrib("size"), 10, 64)
	if err != nil || size < 0 {
		return nil, &Error{Type: "modify", Condition: "bad-request", Text: "File size must be positive integer"}
	}
	if size > s.cfg.MaxFileSize {
		return nil, &Error{Type: "modify", Condition: "not-acceptable", Text: "File too large", MaxFileSize: s.cfg.MaxFileSize}
	}
	ctype := req.Attrib("content-type")
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	if !s.typeAllowed(ctype) {
		return nil, &Error{Type: "modify", Condition: "not-acceptable", Text: "File type not allowed"}
	}

	s.expireLocked(now)
	if s.pending >= s.cfg.MaxPending || s.used+size > s.cfg.TotalQuota {
		return nil, &Error{Type: "wait", Condition: "resource-constraint", Text: "Server global storage quota reached"}
	}
	d := s.daily[owner]
	if d == nil || now.Sub(d.since) >= 24*time.Hour {
		d = &dayUse{since: now}
		s.daily[owner] = d
	}
	if d.bytes+size > s.cfg.DailyQuota {
		return nil, &Error{Type: "wait", Condition: "resource-constraint", Text: "Daily quota reached"}
	}
	var idb [16]byte
	if _, err := rand.Read(idb[:]); err != nil {
		return nil, &Error{Type: "wait", Condition: "internal-server-error"}
	}
	sl := &slot{id: hex.EncodeToString(idb[:]), name: name, ctype: ctype, owner: owner, size: size, issued: now}
	s.slots[sl.id] = sl
	s.used += size
	s.pending++
	d.bytes += size

	u := s.cfg.BaseURL + s.cfg.Path + sl.id + "/" + url.PathEscape(name)
	out := xmlnode.New(NS, "slot")
	out.AddChild(NS, "get", "url", u)
	out.AddChild(NS, "put", "url", u).AddChild(NS, "header", "name", "Authorization").SetText("Bearer " + s.token(sl))
	return out, nil
}

func (s *Service) typeAllowed(ctype string) bool {
	if len(s.cfg.AllowedTypes) == 0 {
		return true
	}
	base, _, _ := strings.Cut(ctype, ";")
	base = strings.ToLower(strings.TrimSpace(base))
	major, _, _ := strings.Cut(base, "/")
	for _, t := range s.cfg.AllowedTypes {
		t = strings.ToLower(t)
		if t == base || t == major+"/*" {
			return true
		}
	}
	return false
}

// token authorises the PUT of one slot: it binds the id, size and type so
// that a token for a small text file cannot upload a large binary.
func (s *Service) token(sl *slot) string {
	m := hmac.New(sha256.New, s.secret[:])
	var b [64]byte
	msg := append(append(append(b[:0], sl.id...), 0), strconv.FormatInt(sl.size, 10)...)
	m.Write(append(append(msg, 0), sl.ctype...))
	return hex.EncodeToString(m.Sum(b[:0]))
}

// expireLocked forgets slots whose PUT did not come within SlotTTL and files
// older than Expiry, giving their bytes back to the total quota.
func (s *Service) expireLocked(now time.Time) {
	if d := now.Sub(s.swept); d >= 0 && d < sweepEvery {
		return
	}
	s.swept = now
	for id, sl := range s.slots {
		s.expireSlotLocked(id, sl, now)
	}
	for owner, d := range s.daily {
		if now.Sub(d.since) >= 24*time.Hour {
			delete(s.daily, owner)
		}
	}
	s.byOwner.sweep(now)
	s.byAddr.sweep(now)
}

// expireSlotLocked forgets sl, the slot id, if its time is over, and
// reports whether it did.
func (s *Service) expireSlotLocked(id string, sl *slot, now time.Time) bool {
	switch {
	case sl.uploaded.IsZero() && now.Sub(sl.issued) > s.cfg.SlotTTL:
		s.pending--
	case !sl.uploaded.IsZero() && now.Sub(sl.uploaded) > s.cfg.Expiry:
		if s.cfg.Dir != "" {
			_ = os.Remove(s.file(id))
		}
	default:
		return false
	}
	s.used -= sl.size
	delete(s.slots, id)
	return true
}

// lookupLocked returns the slot id unless there is none or its time is
// over (it is then forgotten at once, whenever the last sweep was).
func (s *Service) lookupLocked(id string, now time.Time) *slot {
	s.expireLocked(now)
	sl := s.slots[id]
	if sl == nil || s.expireSlotLocked(id, sl, now) {
		return nil
	}
	return sl
}

func (s *Service) file(id string) string { return filepath.Join(s.cfg.Dir, id) }

// Stored reports the bytes reserved or stored and the slots waiting for a
// PUT, for tests and metrics.
func (s *Service) Stored() (bytes int64, pending int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.used, s.pending
}

func domainOf(bare string) string {
	if i := strings.IndexByte(bare, '@'); i >= 0 {
		bare = bare[i+1:]
	}
	if i := strings.IndexByte(bare, '/'); i >= 0 {
		bare = bare[:i]
	}
	return bare
}
