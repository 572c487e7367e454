// Package c2sapi is the contract between a client-to-server stream (RFC
// 6120: package c2s) and the server that serves it (package router and
// the feature modules under mod/): the Handler a bound stream's stanzas go
// to, the Session surface a module's stream feature or
// element handler sees, and the Authenticator SASL asks.
//
// It exists so that the routing core and the modules do not import
// package c2s itself: c2s brings crypto/tls (STARTTLS), crypto/x509 and
// the SASL mechanisms, which every test binary of a module then linked
// (issue 10: linking was two thirds of `go test ./...`'s CPU). Package
// c2s implements these interfaces (*c2s.Session is a Session) and names
// the same types (c2s.Handler, c2s.Authenticator, c2s.BindRefused and
// c2s.Stage are aliases). Its own Feature, ElementHandler and Host, whose
// functions take the concrete *c2s.Session, are made from the router's and
// the modules' by package server: the façade, and the one place that
// wires c2s and the router together.
package c2sapi

import (
	"fmt"
	"net"

	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stream"

	"github.com/muctest/muctest/xmlnode"
)

// Session is what the server side sees of one client stream: a bound
// session's delivery side (the router writes to it), and what a module
// managing the stream itself needs (XEP-0198 stream management writes
// elements that are not stanzas, puts its own Handler in front of the
// router's and moves a session to a new connection; XEP-0077 in-band
// registration answers before authentication). *c2s.Session implements
// it; see its methods for what each does.
type Session interface {
	// JID is the session's full JID (zero before bind), User its
	// authenticated localpart ("" before SASL succeeded).
	JID() jid.JID
	User() string
	// Secure reports whether STARTTLS completed; RemoteAddr is the peer's
	// address (for per-address limits).
	Secure() bool
	RemoteAddr() net.Addr
	// Send and SendTo queue a stanza (SendTo with "to" in place of its own,
	// without a copy); CloseWithError ends the stream with a stream error.
	Send(st *xmlnode.Element)
	SendTo(st *xmlnode.Element, to string)
	CloseWithError(cond stream.Error, text string)
	// SendRaw queues serialised XML on a bound session and reports false
	// when it was dropped; SendElement queues el, or writes it at once
	// during negotiation; WriteNegotiation writes el at once, before
	// there is an outbound queue.
	SendRaw(b []byte) bool
	SendElement(el *xmlnode.Element) error
	WriteNegotiation(el *xmlnode.Element) error
	// Handler is where the session's stanzas go (nil before bind);
	// SetHandler replaces it and Adopt makes an authenticated, unbound
	// session carry the bound session full, which the host already has
	// (XEP-0198 resumption). Both are called from the session's own
	// goroutine (an ElementHandler).
	Handler() Handler
	SetHandler(h Handler)
	Adopt(full jid.JID, h Handler)
}

// Handler processes the stanzas of one bound session.
type Handler interface {
	// HandleStanza routes st, whose "from" is already the session's full
	// JID. It runs in the session's reader goroutine and must only queue
	// deliveries, never block on a socket.
	HandleStanza(st *xmlnode.Element)
	// Close is called once when the session ends (closing handshake, EOF,
	// stream error or shutdown), before the server's </stream:stream> is
	// written: the host routes unavailable presence and forgets the session.
	// reason is "" after a clean closing handshake, otherwise a short cause
	// (a stream error condition, "connection closed"...) for a status text.
	Close(reason string)
}

// Authenticator is the account store as SASL sees it. Usernames are
// already nodeprep-normalised localparts.
type Authenticator interface {
	// CheckPlain verifies a PLAIN password. In a test server's any-password
	// mode it accepts everything and creates the account.
	CheckPlain(username, password string) bool
	// SCRAMCredentials returns the salt, salted password and iteration count
	// for a SCRAM mechanism ("SCRAM-SHA-1" or "SCRAM-SHA-256"), and false if
	// the account does not exist.
	SCRAMCredentials(username, mechanism string) (salt, salted []byte, iter int, ok bool)
}

// AddrAuthenticator is an Authenticator that wants the peer's address with
// a PLAIN check: one that creates accounts on first login (any-password
// mode) caps how many one address may create. Sessions use it when the
// Authenticator implements it.
type AddrAuthenticator interface {
	CheckPlainFrom(remote net.Addr, username, password string) bool
}

// BindRefused is the error a Host's Bind returns to refuse a resource
// binding with a stanza error instead of ending the stream (RFC 6120
// section 7.6.2: resource-constraint when the account has bound as many
// resources as it may, not-allowed when the resource is refused). The
// session stays authenticated and unbound, and may try again.
type BindRefused struct {
	Type, Condition, Text string
}

func (e *BindRefused) Error() string {
	return fmt.Sprintf("c2s: bind refused: %s/%s %s", e.Type, e.Condition, e.Text)
}
