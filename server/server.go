// Package server is the in-process XMPP server: it accepts client
// connections (package c2s), keeps accounts and sessions in memory, routes
// stanzas by the rules of RFC 6120 and RFC 6121, and mounts the MUC service
// (package muc) at conference.<domain>.
//
// It is shaped like net/http: a Server is a value with Serve(net.Listener)
// and Close(), and servertest starts one on loopback for a Go test.
package server

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
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
	// accepts any password and creates the account on first login.
	AnyPassword bool
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
}

// Server is an XMPP server. Create it with New, feed it listeners with
// Serve, stop it with Close.
type Server struct {
	cfg Config
}

// New returns a Server for cfg. It does not listen; call Serve.
func New(cfg Config) (*Server, error) {
	panic("server: TODO")
}

// Serve accepts connections on ln until Close; it returns nil after Close.
func (s *Server) Serve(ln net.Listener) error {
	panic("server: TODO")
}

// Addr returns the address of the first listener given to Serve.
func (s *Server) Addr() net.Addr {
	panic("server: TODO")
}

// WaitIdle blocks until no stanza is being processed or waiting to be
// written and no connection is being torn down, or until ctx ends. The
// scansion runner uses it instead of sleeping.
func (s *Server) WaitIdle(ctx context.Context) error {
	panic("server: TODO")
}

// Close stops every listener, closes every session with a
// system-shutdown stream error, and waits for all goroutines to end.
func (s *Server) Close() error {
	panic("server: TODO")
}
