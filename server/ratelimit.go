package server

import (
	"net"
	"time"

	"github.com/muctest/muctest/connlimit"
	"github.com/muctest/muctest/throttle"
)

// RateLimit bounds how often one IP address may do something: Burst events
// at once, refilled evenly at Burst per Per (a token bucket, package
// throttle). The zero value allows everything, which is what a test server
// on loopback wants; a server exposed to others should set it.
type RateLimit = throttle.Rate

// AuthBackoff throttles password guessing (package throttle says how).
type AuthBackoff = throttle.AuthBackoff

// Defaults of AuthBackoff.
const (
	DefaultAuthFreeFailures = throttle.DefaultAuthFreeFailures
	DefaultAuthMaxBackoff   = throttle.DefaultAuthMaxBackoff
)

// refuseTimeout bounds the write of the refusal to a connection over its
// rate.
const refuseTimeout = 2 * time.Second

// refuse answers a connection over the per-IP connection rate with a stream
// header and a policy-violation stream error (RFC 6120 section 4.9.3.15),
// without reading from it, and closes it. It runs on its own goroutine
// (counted in s.wg) so that a peer that does not read cannot stall Accept.
func (s *Server) refuse(conn net.Conn) {
	defer s.wg.Done()
	defer conn.Close()
	s.log.Info("server: connection rate exceeded", "remote", conn.RemoteAddr().String())
	_ = conn.SetDeadline(time.Now().Add(refuseTimeout))
	_, _ = conn.Write(refusal(s.domain, "policy-violation", "too many connections from your address"))
}

// refusal is a stream header followed by a stream error and the end of the
// stream: everything a connection refused before it was read from gets.
func refusal(domain, cond, text string) []byte {
	return []byte(`<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' from='` +
		domain + `' version='1.0'><stream:error><` + cond + ` xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>` +
		`<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>` + text + `</text></stream:error></stream:stream>`)
}

// capRefuseTimeout bounds the refusal write of a connection over a
// connection cap. It is written in the accept loop: a few hundred bytes
// always fit in a new socket's send buffer, so the write does not wait,
// and the deadline only guards against a kernel that says otherwise.
const capRefuseTimeout = 50 * time.Millisecond

// limitListener wraps ln in the connection caps of Config.MaxConns and
// Config.MaxConnsPerIP (package connlimit), whose Accept also rides out
// descriptor exhaustion. A connection over the global cap is told
// resource-constraint (RFC 6120 section 4.9.3.17: the server lacks the
// resources to serve the stream), one over the per-address cap
// policy-violation, as the connection rate is; neither is read from.
func (s *Server) limitListener(ln net.Listener) net.Listener {
	return s.capListener(ln, s.cfg.MaxConns, func(why connlimit.Reason) []byte {
		if why == connlimit.TooManyFromIP {
			return refusal(s.domain, "policy-violation", "too many connections from your address")
		}
		return refusal(s.domain, "resource-constraint", "the server is full")
	})
}

// LimitHTTPListener wraps ln, a listener for HTTPHandler (WebSocket, BOSH,
// uploads), in caps of its own, counted apart from the XMPP listener's:
// WebLimits.MaxConns over every address (within Config.MaxConns) and
// Config.MaxConnsPerIP, so that a flood of HTTP connections or WebSocket
// upgrades cannot exhaust memory or descriptors either. A connection over a
// cap gets an HTTP refusal before anything is read from it: 503 Service
// Unavailable over the global cap, 429 Too Many Requests over the
// per-address one, each with Connection: close.
func (s *Server) LimitHTTPListener(ln net.Listener) net.Listener {
	return s.capListener(ln, s.cfg.Web.maxConns(s.cfg.MaxConns), func(why connlimit.Reason) []byte {
		status := "503 Service Unavailable"
		if why == connlimit.TooManyFromIP {
			status = "429 Too Many Requests"
		}
		return []byte("HTTP/1.1 " + status + "\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
	})
}

// capListener is both listeners' caps: maxConns over every address,
// Config.MaxConnsPerIP per address, and what a connection over one is
// written (refusal) before it is closed unread.
func (s *Server) capListener(ln net.Listener, maxConns int, refusal func(connlimit.Reason) []byte) net.Listener {
	return connlimit.New(ln, connlimit.Config{
		MaxConns: maxConns,
		MaxPerIP: s.cfg.MaxConnsPerIP,
		Logger:   s.log,
		Refuse: func(c net.Conn, why connlimit.Reason) {
			_ = c.SetWriteDeadline(time.Now().Add(capRefuseTimeout))
			_, _ = c.Write(refusal(why))
		},
	})
}
