package c2s

import (
	"fmt"
	"net"
)

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

// AddrAuthenticator is an Authenticator that is told the peer's address
// with a PLAIN password, for a server whose any-password mode creates
// accounts at login and bounds how many one address may create (issue 11).
// When Config.Auth implements it, CheckPlainFrom is called instead of
// CheckPlain.
type AddrAuthenticator interface {
	CheckPlainFrom(remote net.Addr, username, password string) bool
}

// checkPlain verifies a PLAIN password through Config.Auth.
func (s *Session) checkPlain(name, pass string) bool {
	if a, ok := s.cfg.Auth.(AddrAuthenticator); ok {
		return a.CheckPlainFrom(s.raw.RemoteAddr(), name, pass)
	}
	return s.cfg.Auth.CheckPlain(name, pass)
}
