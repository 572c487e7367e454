// Package script reads and runs scansion scripts (.scs), the behaviour tests
// of Prosody, against an XMPP server: the in-process muctest server or any
// external one.
//
// # The language
//
//	# Title (the first line)
//
//	[Client] Romeo
//		jid: user@localhost          (user@localhost/res also sets the resource)
//		password: password
//		resource: balcony            (optional; else the server picks one)
//
//	-----                            (a line of dashes ends the header)
//
//	Romeo connects
//	Romeo sends:
//		<presence/>
//	Romeo receives:
//		<presence from="${Romeo's full JID}"/>
//	Romeo receives: nothing
//	Romeo disconnects
//
// Lines starting with #, // or -- are comments. The colon after sends and
// receives is optional. A receives block may hold several stanzas, expected
// in that order. ${NAME's JID} is the bare JID of a client and ${NAME's full
// JID} the full JID it was bound to; names may be possessive themselves
// (${Juliet's phone's full JID}). Expected stanzas are compared by package
// match (loose jabber:client, strict payloads, scansion:strict,
// {scansion:any}). Disconnecting a client that is not connected is a no-op.
//
// # Receive semantics
//
// Scripts describe what a server sends, but those written for Prosody leave
// out some stanzas (the status-104 message after a configuration change, a
// trailing subject, roster pushes). The runner therefore keeps, per client,
// a queue of received stanzas that no step has consumed yet, and defines:
//
//   - Settling. After every action (connects, sends, disconnects) the
//     runner brings every client up to date: against the in-process server
//     it first waits until the server is idle (server.WaitIdle: no stanza in
//     flight); then, actor first, each connected client sends an XEP-0199
//     ping to its server with a runner-private id (muctest-sync-N) and
//     queues everything it receives up to the reply. The server writes a
//     session's stanzas in order, so every stanza caused by the action is
//     now queued. The replies to these pings are never shown to the script.
//     Against Prosody, which handles one stanza at a time, the actor's
//     round trip plays the part of WaitIdle. Nothing sleeps.
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
//   - X disconnects does the closing handshake (</stream:stream>, then wait
//     for the server's): the server sends the unavailable presences of X
//     first, so the other clients queue them when settling.
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
// in-process server for it; RunFile does both from a Go test:
//
//	func TestSpec(t *testing.T) { script.RunFile(t, "spec/muc_mediated_invite.scs", script.Options{Strict: true}) }
package script
