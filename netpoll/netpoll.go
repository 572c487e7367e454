// Package netpoll tells when idle connections become readable, with one
// goroutine for all of them.
//
// A Go server usually parks one goroutine per connection in Read. An idle
// XMPP client (most of them, most of the time) then costs a goroutine and
// its stack, several KiB each. Package c2s instead hands an idle session's
// connection to a Poller and lets its goroutine end; the Poller calls back
// when the client sends something (or hangs up) and the session starts a
// new goroutine to read it.
//
// The Poller only watches: it never reads, writes or closes a connection,
// so the runtime's own network poller keeps working for the goroutines that
// do. On systems without epoll, New returns ErrUnsupported and callers keep
// a goroutine per connection.
package netpoll

import "errors"

// ErrUnsupported is returned by New where the Poller is not implemented.
var ErrUnsupported = errors.New("netpoll: not supported on this system")

// ErrClosed is returned by Wait after Close.
var ErrClosed = errors.New("netpoll: poller closed")
