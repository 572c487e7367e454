// Package script reads and runs scansion scripts (.scs), the behaviour tests
// of Prosody, against an XMPP server: the in-process muctest server or any
// external one.
//
// # The language
//
//	# Title (the first line)
//	# Description: the "#" lines right after the title
//	## tags: muc kick              ("##" lines: tags, for muctest -tag/-skip-tag)
//
//	[Client] Romeo
//		jid: user@localhost          (user@localhost/res also sets the resource)
//		password: password
//		resource: balcony            (optional; else the server picks one)
//		custom_host: 127.0.0.1       (optional: connect here instead of Options.Addr;
//		custom_port: 5223             either may be given alone)
//
//	[Component] Gateway            (an XEP-0114 external component)
//		jid: gateway.localhost       (its domain)
//		password: secret             (the shared secret)
//
//	-----                            (a line of dashes ends the header)
//
//	Romeo connects
//	Romeo sends:
//		<presence/>
//	Romeo receives:
//		<presence from="${Romeo's full JID}"/>
//	Romeo receives in any order:
//		<presence from="room@conference.localhost/Juliet"/>
//		<presence from="room@conference.localhost/Mercutio"/>
//	Romeo receives: nothing
//	Romeo disconnects
//	Romeo's connection drops
//	Romeo receives stream error: conflict
//
// Lines starting with #, // or -- are comments; inside an XML block, a line
// whose text starts with # is a comment too (blank lines and comment lines
// may sit between the lines of a block). The colon after sends and receives
// is optional. A leading UTF-8 byte order mark is ignored. A receives block
// may hold several stanzas, expected in that order. ${NAME's JID} is the
// JID of a client as its jid: line gives it, as in scansion (bare, or with
// the resource the line asks for; a component's domain), and ${NAME's full
// JID} the full JID it was bound to; names may be possessive themselves
// (${Juliet's phone's full JID}). A script whose client is declared with a
// resource writes that client's bare JID out. Expected stanzas are compared by package match (loose
// jabber:client, strict payloads, scansion:strict, {scansion:any}, and
// {scansion:capture:NAME}, which binds NAME to the received value the first
// time and must match that value afterwards; bound values are shown when a
// script fails). Disconnecting a client that is not connected is a no-op;
// "X connects" after X's stream ended logs X in again.
//
// A [Component] connects to Options.ComponentAddr (or its custom_host and
// custom_port) with the XEP-0114 handshake and then sends and receives like
// a client: stanzas are written as in jabber:client and travel in
// jabber:component:accept; a component must set "from" on what it sends.
// RunInProcess accepts the script's components on the in-process server
// (see ListenComponents).
//
// Beyond scansion, three verbs pin what happens around a session's end:
//
//   - X receives in any order: S1 ... Sn. Every stanza must arrive, each
//     matched by a distinct received stanza, in any order: what XEP-0045
//     leaves open (the order of the occupants' presences a joiner gets).
//   - X's connection drops. X's connection closes without the closing
//     handshake (no </stream:stream>), as when a client crashes or loses
//     its network; the other clients then see what the server sends
//     because of it.
//   - X receives stream error: CONDITION. X's stream must have ended with
//     that stream error (RFC 6120 section 4.9.3, e.g. conflict or
//     policy-violation; <conflict/> is accepted too); without a condition,
//     any stream error. A stream still open, or closed without an error,
//     fails the step. A stream error the script never expects is reported
//     as a warning.
//
// The parser checks what it can before anything runs, with the line of the
// file and, for a misspelt verb, client or condition, what was probably
// meant: XML errors, unknown clients and substitutions, a client acting
// before it connects, a ${X's full JID} before X connects. It warns
// (Script.Warnings) about a send by a client whose connection has ended
// (as in scansion, the stanza goes nowhere) and about a blank line
// separating two complete stanzas of one block (usually a missing action
// line).
//
// # Receive semantics
//
// Scripts describe what a server sends, but those written for Prosody leave
// out some stanzas (the status-104 message after a configuration change, a
// trailing subject, roster pushes). The runner therefore keeps, per client,
// a queue of received stanzas that no step has consumed yet, and defines:
//
//   - Settling. After every action (connects, sends, disconnects) the
//     runner brings every client up to date. Against the in-process server
//     it counts bytes instead of round trips: it waits until the server's
//     session for each client has read every byte the client wrote
//     (server.ConnBytes; a session counts itself busy before it counts
//     bytes read), then until the server is idle (no stanza in flight),
//     both in one wait (server.WaitSettled), then until each client has
//     read and queued every byte its session wrote
//     (client.Conn.AwaitRead). RunInProcess connects its clients over
//     in-memory connection pairs (local.go) that the server sees as 127.0.0.1
//     clients, TCP where a client sets custom_host or custom_port and for
//     components; StartInProcess listens on TCP. Against an external
//     server (and for a [Component]), actor first, each connected client
//     sends an XEP-0199 ping to its server with a runner-private id
//     (muctest-sync-N) and queues everything it receives up to the reply.
//     The server writes a session's stanzas in order, so every stanza
//     caused by the action is now queued. The replies to these pings are
//     never shown to the script. Against Prosody, which handles one stanza
//     at a time, the actor's round trip plays the part of WaitIdle.
//     Nothing sleeps.
//   - X receives: S1 ... Sn. For each expected stanza in order, the first
//     queued stanza that matches it is consumed. Queued stanzas before it
//     are skipped (dropped; -v shows them) — that is the leniency that lets
//     Prosody's scripts pass. If no queued stanza matches, the step fails,
//     showing the closest queued stanza with the difference marked and the
//     last stanzas the client saw. Order is still checked: once a stanza is
//     consumed, everything queued before it is gone, so stanzas arriving in
//     the wrong order fail. Against an external server only, a stanza not
//     yet queued is waited for up to Options.ReceiveWait, in case the server
//     does work after answering the ping; in-process, nothing can arrive
//     after settling, so a missing stanza fails at once.
//   - X receives: nothing. Fails if X's queue holds a stanza that arrived
//     while settling the latest action (older unconsumed stanzas are not
//     counted: they were caused by earlier steps).
//   - X receives in any order: S1 ... Sn. The expected stanzas are
//     assigned to distinct queued stanzas, taking queued stanzas in order
//     (by augmenting paths), so that the shortest prefix of the queue that
//     holds them all is used; the rest of that prefix is skipped (strict:
//     fails). A receive without type that matched a type="error" stanza
//     passes with a warning.
//   - X disconnects does the closing handshake (</stream:stream>, then wait
//     for the server's): the server sends the unavailable presences of X
//     first, so the other clients queue them when settling. X's connection
//     drops half-closes the connection and waits until the server closes its side
//     (client.Conn.Drop), then settles the same way.
//   - Failures show the closest queued stanza with every difference
//     marked, the matching stanza when it arrived earlier (out of order)
//     and was skipped, the bound captures, and the client's last stanzas
//     (long ones cut). A time limit that runs out is named
//     (Options.Timeout, Options.StepTimeout, Options.ReceiveWait).
//   - At the end of the script, clients still connected are closed with the
//     closing handshake, so that an external server is clean for the next
//     script.
//
// Strict mode (Options.Strict, muctest -strict) fails on any stanza the
// script did not expect: a receive must consume the first queued stanza, a
// disconnecting client must have an empty queue, "receives: nothing" needs
// an empty queue, and at the end every client's queue must be empty (after a
// final settle). Our own spec/ scripts pass in strict mode.
//
// # Running
//
// Run runs a parsed Script against Options.Addr; RunInProcess starts a fresh
// in-process server for it; RunScript picks one of the two (in-process
// when Options.Addr is empty, configured by Options.Server); RunFile and
// RunDir do that from a Go test. Result holds the failure, a trace (with
// each step's elapsed time; Options.Trace streams it), per-step results,
// every client's stanza log (matched, skipped, pending), warnings and
// captures.
//
//	func TestSpec(t *testing.T) { script.RunFile(t, "spec/muc_mediated_invite.scs", script.Options{Strict: true}) }
//
//	cfg := server.Config{Domain: "localhost", Accounts: map[string]string{"romeo": "pw"}}
//	script.RunDir(t, "testdata", script.Options{Server: &cfg, Strict: true})
package script
