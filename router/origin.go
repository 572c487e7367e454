package router

import (
	"net"

	"github.com/muctest/muctest/component"
	"github.com/muctest/muctest/module"
)

// This file gives components the client's address (component.Origin) with
// the stanzas a local session sends them, so that the MUC can bound what
// one client creates whatever account names it logs in under (issue 11).
// The address is never put on the stanza: the router knows it from the
// session's connection.

// remoteAddrer is a Conn that knows its peer: a c2s.Session.
type remoteAddrer interface{ RemoteAddr() net.Addr }

// origin returns the session's component.Origin: the IP address of the
// connection under its Conn, through the module layers stacked on it
// (XEP-0352, XEP-0198), read now, since a resumed session (XEP-0198) moves
// to a new connection. A Conn with no address (a test's recorder) gives
// the zero Origin. s.mu is held.
func (ss *session) origin() component.Origin {
	c := ss.c
	for range 16 { // layers are few; a cycle must not hang the router
		switch v := c.(type) {
		case remoteAddrer:
			return component.Origin{Addr: component.AddrOf(v.RemoteAddr())}
		case module.Layer:
			c = v.Inner()
		default:
			return component.Origin{}
		}
	}
	return component.Origin{}
}
