// Package c2s speaks the client-to-server half of XMPP over one TCP
// connection: RFC 6120 stream negotiation (stream headers, STARTTLS, SASL
// PLAIN / SCRAM-SHA-1 / SCRAM-SHA-256 per RFC 4616 and RFC 5802, resource
// binding, the RFC 3921 session iq kept for old clients), XEP-0388 SASL2
// with XEP-0386 Bind2 beside it (the same exchange, with no restart and the
// bind inline), stream errors and the closing handshake.
//
// A Session reads stanzas in its own goroutine and hands each one, with
// "from" stamped to the session's full JID, to the Handler the Host gave it
// at bind time. The Handler routes synchronously: every delivery it makes is
// a call to some Session's Send, which only appends the serialised stanza to
// that session's outbound queue. The session's writer goroutine drains the
// queue to the socket, so no goroutine ever writes to a socket while routing
// and the order of deliveries is the order in which stanzas were read.
//
// The writer runs only while the queue holds something, and the reader
// only while the client sends: a bound session that has received nothing
// for Config.ParkAfter hands its connection to a netpoll.Poller (one epoll
// instance and one goroutine for all of them, Linux) and lets its goroutine
// end, giving back its read buffers and its XML decoder; the client's next
// bytes start a new reader (park.go). An idle session thus costs no
// goroutine and no buffer, only its state. TLS sessions, and every session
// without a Poller, keep a reader goroutine blocked in Read.
//
// Files by concern: session.go (a Session's life: Run, serving a bound
// stream, stream errors and teardown), negotiate.go (stream headers,
// features, STARTTLS, binding), sasl.go (SASL mechanisms and the exchange
// both profiles share), sasl2.go (XEP-0388 SASL2, XEP-0386 Bind2 and their
// inline features), reader.go
// (buffering, size limit and decoding of input), fastread.go (the
// one-pass parser of package xmlscan, which takes the everyday elements
// off the decoder), writer.go (the outbound
// queue and its writer), park.go (idle sessions without a goroutine),
// limits.go (protection against hostile peers), ratelimit.go (the read
// allowance of each client, as Prosody's mod_limits), extend.go (the features and
// top-level elements modules add), resume.go (what XEP-0198 needs: elements
// that are not stanzas, a Handler of its own, and a new connection taking
// over a session the host already has).
//
// What c2s does not know: accounts (Authenticator), and what a stanza means
// (Host and Handler, implemented by package server).
package c2s
