// Package module is the registry API that every server feature plugs into:
// one XEP or RFC section is one package (under mod/) with one Module that
// registers what it answers and where it wants to be called. The router
// (package router) compiles every registration once, at New, into fixed
// tables, so that routing a stanza never consults a map of strings nor
// takes a lock of the registry's own.
//
// What a module can register, on the Registrar it is given:
//
//   - IQ handlers (IQ) by target (the server's domain, an account's bare
//     JID, the sender's own account), type and payload name; a second
//     handler for the same key is an error from New;
//   - typed hooks with int priorities at the fixed points of RFC 6121
//     delivery (OnMessageSent, OnMessageDelivered, OnPresenceSent,
//     OnPresenceDelivered, OnIQSent, OnIQDelivered, OnInitialPresence) and
//     of a session's life (OnSessionBound, OnSessionUnbinding with a veto,
//     OnSessionUnbound);
//   - service discovery features and identities (Feature, Identity), which
//     mod/disco answers: no list is kept by hand anywhere;
//   - stream features and non-stanza top-level elements of c2s streams
//     (StreamFeature, StreamElement), what XEP-0198 needs;
//   - components by domain (Component), such as the XEP-0045 MUC service;
//   - HTTP routes on the server's mux (web.Handle: WebSocket, BOSH,
//     upload), which package web keeps on the Registrar (Share, values
//     shared by the modules of one server);
//   - the presence subscription state the router asks about (Contacts).
//
// Package module imports neither package c2s (the stream types modules
// use are in package c2sapi) nor net/http, so that a module's test binary
// links crypto/tls and net/http only when the module itself needs them
// (issue 10: linking was most of `go test ./...`'s CPU).
//
// Per-account and per-session state is typed and lazily allocated
// (AccountState, SessionState); a value that implements Sizer reports the
// bytes it holds so that quotas can be put on it. Context.SendIQ sends an
// iq from the server and calls back with its result or a timeout.
//
// Handlers and hooks run with the router's lock held, in the goroutine of
// the session (or component) whose stanza is being routed; they must only
// queue deliveries (Context.Route and friends), never block on a socket or
// wait for another stanza. A panic in any of them is recovered by the
// router for that stanza: the sender gets internal-server-error, the log
// gets the stack, and everyone else keeps being served.
//
// ARCHITECTURE.md at the repository root walks through writing a module;
// package moduletest unit-tests one without a socket.
package module

import (
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"

	"github.com/muctest/muctest/c2sapi"
	"github.com/muctest/muctest/component"
	"github.com/muctest/muctest/xmlnode"
)

// Module is one feature of the server. Name identifies it in errors and
// logs (and in Config, to leave a default module out); Register is called
// once per server, at New, and declares everything the module does.
type Module interface {
	Name() string
	Register(r *Registrar) error
}

// New makes a Module from a name and a register function, for modules that
// keep no configuration of their own.
func New(name string, register func(r *Registrar) error) Module {
	return funcModule{name, register}
}

type funcModule struct {
	name string
	fn   func(*Registrar) error
}

func (m funcModule) Name() string                { return m.name }
func (m funcModule) Register(r *Registrar) error { return m.fn(r) }

// Target says which iqs an IQ handler receives, by their "to".
type Target uint8

const (
	// ToDomain: iqs to the server's domain itself (RFC 6120 section 10.5.1).
	ToDomain Target = 1 << iota
	// ToAccount: iqs to an account's bare JID, from anyone; Request.Self
	// says whether the sender is the account's owner.
	ToAccount
	// ToSelf: iqs from an account's owner to its own bare JID or without
	// a "to" (RFC 6120 section 10.3.3). Anyone else asking the same of the
	// account reaches the ToAccount handlers, or service-unavailable. A
	// ToSelf handler takes precedence over a ToAccount one for the same key.
	ToSelf
)

// IQType is the set of iq types an IQ handler receives: requests only,
// since results and errors go back to whoever asked (Context.SendIQ).
type IQType uint8

// The iq request types (RFC 6120 section 8.2.3).
const (
	Get IQType = 1 << iota
	Set
)

// Where says on which disco#info result (XEP-0030) a feature or identity
// appears.
type Where uint8

const (
	// OnServer: the info of the server's domain.
	OnServer Where = 1 << iota
	// OnAccount: the info of an account's bare JID.
	OnAccount
)

// IQ registers an iq request handler. To and Type may each combine several
// values; Payload is the name of the iq's one child, and an empty
// Payload.Local takes every element of Payload.Space that no handler names
// exactly (for a protocol of several verbs, such as XEP-0191's block,
// unblock and blocklist). Disco, when set, advertises Payload.Space as a
// disco#info feature there.
type IQ struct {
	To      Target
	Type    IQType
	Payload xml.Name
	Disco   Where
	Handle  func(*Request)
	// Prepare, when set, does the work of a request that depends on the
	// payload alone (parsing and normalising the JIDs it names) before
	// the router takes its lock, in the sender's goroutine, so that the
	// lock is held only for what needs the server's state: Handle finds
	// what it returned in Request.Prepared. It runs for requests a local
	// session sends; Handle must still work when Prepared is nil (a
	// request from a component, a test's). It must not keep the payload
	// nor touch any state, since no lock is held.
	Prepare func(payload *xmlnode.Element) any
}

// Identity is a disco#info identity (XEP-0030 section 3.1).
type Identity struct {
	Category, Type, Name string
}

// Feature is a disco#info feature registered with Registrar.Feature.
type Feature struct {
	Where Where
	Var   string
}

// Priorities of hooks: those above zero run before the router acts on the
// stanza and may stop it (return true); those at zero or below run after,
// and what they return is ignored. Higher runs first.
const (
	// Filter suits a check that refuses a stanza (XEP-0191 blocking).
	Filter = 100
	// Rewrite suits a change of the stanza before it goes out (the
	// XEP-0153 marker).
	Rewrite = 50
	// After suits a reaction to a delivery (carbons, offline storage).
	After = 0
)

// StreamFeature is a c2s stream feature (RFC 6120 section 4.3.2) offered
// after authentication, next to <bind/>: roster versioning, legacy session
// establishment, XEP-0198 stream management. Its Offer gets the stream as
// a c2sapi.Session; the server hands it to package c2s.
type StreamFeature = c2sapi.Feature

// StreamElement handles a top-level element of a c2s stream that is not a
// stanza, such as XEP-0198's <enable/>, <r/>, <a/> and <resume/>. Its
// Handle gets the stream as a c2sapi.Session and ends it with a stream
// error by returning c2sapi.StreamError.
type StreamElement = c2sapi.ElementHandler

// ComponentReg is a component mounted on its own domain: every stanza for
// the domain or a JID under it goes to Handler (package component).
type ComponentReg struct {
	Domain  string
	Handler component.Handler
}

// Registrar collects what a module registers. The router makes one per
// server, hands it to every module's Register in turn, and compiles what it
// collected. Its accessors (IQs, Hooks...) are for the router.
type Registrar struct {
	env    Env
	module string // the module registering now

	iqs        []IQEntry
	hooks      []HookEntry
	features   []Feature
	identities []IdentityEntry
	infoExt    []InfoExtension
	discoNodes []DiscoNode
	streamF    []StreamFeature
	streamE    []StreamElement
	bind2      []Bind2Feature
	sasl2      []SASL2Feature
	components []ComponentReg
	contacts   Contacts
	disco      []DiscoItems
	closers    []func()
	errs       []error
	shared     map[any]any // Share, Shared (shared.go)

	// featHint is the feature list of the last registrar (featureHint),
	// and offTrack says that features is no longer a prefix of it.
	featHint []Feature
	offTrack bool
}

// Env is what the router tells modules about the server at registration.
type Env struct {
	// Domain is the server's domain.
	Domain string
	// Router delivers stanzas from a component to local users; a
	// component built in Register (the MUC) keeps it.
	Router component.AddressedRouter
	// Logger is the server's logger.
	Logger *slog.Logger
	// Locked runs a function with the router's lock held (Registrar.Locked).
	Locked func(fn func(c Context))
}

// NewRegistrar returns an empty Registrar for a server described by env.
// The router calls it; module tests use package moduletest instead.
func NewRegistrar(env Env) *Registrar {
	r := &Registrar{env: env,
		iqs:        make([]IQEntry, 0, sizeHints.iqs.Load()),
		hooks:      make([]HookEntry, 0, sizeHints.hooks.Load()),
		features:   make([]Feature, 0, sizeHints.features.Load()),
		identities: make([]IdentityEntry, 0, sizeHints.identities.Load()),
		discoNodes: make([]DiscoNode, 0, sizeHints.discoNodes.Load()),
	}
	if h := featureHint.Load(); h != nil {
		r.featHint = *h
	}
	return r
}

// featureHint is the feature list the last RememberSizes saw when it
// differed from the one before: a process makes its servers from one
// configuration or a few, whose modules register the same features in the
// same order, so that Feature can tell a new one from a repeat without
// comparing it with every feature before (a fiftieth of a script's CPU
// time). Never written after it is stored.
var featureHint atomic.Pointer[[]Feature]

// sizeHints are the lengths of the largest lists the last RememberSizes
// saw, for NewRegistrar: a process makes its servers (one per scansion
// script) from one configuration or a few, and growing each list by
// appending was a fifth of the bytes server.New allocated.
var sizeHints struct {
	iqs, hooks, features, identities, discoNodes atomic.Int32
}

// RememberSizes records how many iq handlers, hooks, features and disco
// nodes r holds, so that the next Registrar is made with room for as many.
// The router calls it once every module has registered. Only a hint: the
// lists still grow past it.
func (r *Registrar) RememberSizes() {
	const most = 1 << 12 // a hint, not a way to pin memory
	sizeHints.iqs.Store(int32(min(len(r.iqs), most)))
	sizeHints.hooks.Store(int32(min(len(r.hooks), most)))
	sizeHints.features.Store(int32(min(len(r.features), most)))
	sizeHints.identities.Store(int32(min(len(r.identities), most)))
	sizeHints.discoNodes.Store(int32(min(len(r.discoNodes), most)))
	if (r.offTrack || len(r.features) != len(r.featHint)) && len(r.features) <= most {
		h := slices.Clone(r.features)
		featureHint.Store(&h)
	}
}

// Begin sets the module whose registrations follow (named in errors).
func (r *Registrar) Begin(module string) { r.module = module }

// Domain is the server's domain.
func (r *Registrar) Domain() string { return r.env.Domain }

// Router is the router components deliver their stanzas through.
func (r *Registrar) Router() component.AddressedRouter { return r.env.Router }

// Logger is the server's logger, with the module's name attached.
func (r *Registrar) Logger() *slog.Logger { return r.env.Logger.With("module", r.module) }

// IQ registers an iq handler; see IQ.
func (r *Registrar) IQ(h IQ) {
	if h.To == 0 || h.Type == 0 || h.Payload.Space == "" || h.Handle == nil {
		r.fail(fmt.Errorf("iq handler for %v needs a target, a type, a payload namespace and a function", h.Payload))
		return
	}
	r.iqs = append(r.iqs, IQEntry{IQ: h, Module: r.module})
	if h.Disco != 0 {
		r.Feature(h.Disco, h.Payload.Space)
	}
}

// Feature advertises var as a disco#info feature where says.
func (r *Registrar) Feature(where Where, v string) {
	f := Feature{where, v}
	if n := len(r.features); !r.offTrack && n < len(r.featHint) && r.featHint[n] == f {
		// features is the hint's first n, none of them f (the hint holds
		// no repeats): f is new.
		r.features = append(r.features, f)
		return
	}
	if !slices.Contains(r.features, f) {
		r.features = append(r.features, f)
		r.offTrack = true
	}
}

// Identity advertises id as a disco#info identity where says.
func (r *Registrar) Identity(where Where, id Identity) {
	r.identities = append(r.identities, IdentityEntry{where, id})
}

// StreamFeature offers f on every c2s stream after authentication.
func (r *Registrar) StreamFeature(f StreamFeature) { r.streamF = append(r.streamF, f) }

// StreamElement handles a top-level element of c2s streams; a second
// handler for the same name and stage is an error from New.
func (r *Registrar) StreamElement(e StreamElement) { r.streamE = append(r.streamE, e) }

// Component mounts h at domain; stanzas for domain and every JID under it
// go to h. A domain mounted twice, or the server's own, is an error.
func (r *Registrar) Component(domain string, h component.Handler) {
	r.components = append(r.components, ComponentReg{domain, h})
}

// Contacts makes c the one source of presence subscriptions (mod/roster);
// a second one is an error from New.
func (r *Registrar) Contacts(c Contacts) {
	if r.contacts != nil {
		r.fail(errors.New("a second Contacts provider"))
		return
	}
	r.contacts = c
}

// OnClose registers f to run when the server closes, after every session
// has gone (components with a Shutdown method are told before that).
func (r *Registrar) OnClose(f func()) { r.closers = append(r.closers, f) }

func (r *Registrar) fail(err error) {
	r.errs = append(r.errs, fmt.Errorf("module %s: %w", r.module, err))
}

// IQEntry is a registered IQ with the module that registered it.
type IQEntry struct {
	IQ
	Module string
}

// IdentityEntry is a registered Identity.
type IdentityEntry struct {
	Where Where
	Identity
}

// Err is every error met during registration, joined.
func (r *Registrar) Err() error { return errors.Join(r.errs...) }

// IQs returns the registered iq handlers, in registration order.
func (r *Registrar) IQs() []IQEntry { return r.iqs }

// Hooks returns the registered hooks, in registration order.
func (r *Registrar) Hooks() []HookEntry { return r.hooks }

// Features returns the registered disco features, in registration order.
func (r *Registrar) Features() []Feature { return r.features }

// Identities returns the registered disco identities.
func (r *Registrar) Identities() []IdentityEntry { return r.identities }

// StreamFeatures returns the registered stream features.
func (r *Registrar) StreamFeatures() []StreamFeature { return r.streamF }

// StreamElements returns the registered top-level element handlers.
func (r *Registrar) StreamElements() []StreamElement { return r.streamE }

// Components returns the registered components.
func (r *Registrar) Components() []ComponentReg { return r.components }

// ContactsProvider returns the registered Contacts, or nil.
func (r *Registrar) ContactsProvider() Contacts { return r.contacts }

// Closers returns the functions registered with OnClose.
func (r *Registrar) Closers() []func() { return r.closers }
