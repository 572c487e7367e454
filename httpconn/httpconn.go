// Package httpconn holds the net.Conn plumbing shared by the XMPP transports
// that arrive over HTTP: RFC 7395 WebSocket (package websocket) and XEP-0206
// BOSH (package bosh). Each presents a client's stream to package c2s as a
// net.Conn, so each needs the addresses net/http knows of the request and
// deadlines it keeps itself, since no socket of its own carries them.
package httpconn

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// Addrs returns the local and remote addresses of the connection r came on,
// as net/http gives them: the local one from the request's context, the
// remote one parsed from r.RemoteAddr. Limits that count by IP (connections,
// logins, accounts) read the remote one, so it is a *net.TCPAddr whenever
// net/http's string parses as one.
func Addrs(r *http.Request) (local, remote net.Addr) {
	local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		local = Addr("")
	}
	if ap, err := net.ResolveTCPAddr("tcp", r.RemoteAddr); err == nil {
		remote = ap
	} else {
		remote = Addr(r.RemoteAddr)
	}
	return local, remote
}

// Addr is an address known only as a string: one net/http gave that does
// not parse as host:port, or a client's URL. Its network is "tcp".
type Addr string

// Network implements net.Addr.
func (a Addr) Network() string { return "tcp" }

// String implements net.Addr.
func (a Addr) String() string { return string(a) }

// Deadlines keeps a net.Conn's read and write deadlines for a connection
// that is not a socket. Embedded in a conn type, it supplies SetDeadline,
// SetReadDeadline and SetWriteDeadline; the conn's Read and Write consult
// ReadDeadline and WriteDeadline before they wait. The zero value has no
// deadlines and is safe for concurrent use.
type Deadlines struct {
	mu          sync.Mutex
	read, write time.Time
}

// SetDeadline implements net.Conn: both deadlines at once.
func (d *Deadlines) SetDeadline(t time.Time) error {
	d.mu.Lock()
	d.read, d.write = t, t
	d.mu.Unlock()
	return nil
}

// SetReadDeadline implements net.Conn.
func (d *Deadlines) SetReadDeadline(t time.Time) error {
	d.mu.Lock()
	d.read = t
	d.mu.Unlock()
	return nil
}

// SetWriteDeadline implements net.Conn.
func (d *Deadlines) SetWriteDeadline(t time.Time) error {
	d.mu.Lock()
	d.write = t
	d.mu.Unlock()
	return nil
}

// ReadDeadline returns the read deadline; the zero time means none.
func (d *Deadlines) ReadDeadline() time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.read
}

// WriteDeadline returns the write deadline; the zero time means none.
func (d *Deadlines) WriteDeadline() time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.write
}
