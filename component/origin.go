package component

import (
	"net"
	"net/netip"

	"github.com/muctest/muctest/xmlnode"
)

// Origin is what the router knows about where a stanza came from and the
// stanza itself does not say: the address of the client connection it was
// read from. A component that bounds what one creator may make (the MUC's
// rooms per user) counts by address as well, or one client would get
// round the bound by logging in under new account names. It is handed
// beside the stanza, never written on it: nothing on the wire can forge it.
type Origin struct {
	// Addr is the IP address of the client whose session sent the stanza;
	// invalid (the zero Addr) for a stanza that no local client session
	// sent as it is (one the server built, an external component's, a
	// test's).
	Addr netip.Addr
}

// OriginHandler is a Handler that wants each stanza's Origin: the router
// calls HandleStanzaFrom instead of HandleStanza for it.
type OriginHandler interface {
	Handler
	HandleStanzaFrom(st *xmlnode.Element, o Origin)
}

// Deliver hands st to h with its origin: HandleStanzaFrom when h is an
// OriginHandler, HandleStanza otherwise.
func Deliver(h Handler, st *xmlnode.Element, o Origin) {
	if oh, ok := h.(OriginHandler); ok {
		oh.HandleStanzaFrom(st, o)
		return
	}
	h.HandleStanza(st)
}

// AddrOf returns the IP address of a net.Addr (a TCP or UDP address, or
// any whose String is host:port or a bare IP), IPv4-mapped IPv6 addresses
// unmapped so that one client counts once; invalid when it has none.
func AddrOf(a net.Addr) netip.Addr {
	switch a := a.(type) {
	case nil:
		return netip.Addr{}
	case *net.TCPAddr:
		ip, _ := netip.AddrFromSlice(a.IP)
		return ip.Unmap()
	}
	s := a.String()
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap()
	}
	if ip, err := netip.ParseAddr(s); err == nil {
		return ip.Unmap()
	}
	return netip.Addr{}
}
