// Package record turns the live session of real XMPP clients into a
// scansion script (.scs, the test format of Prosody; see package script):
// a recording proxy that sits between clients and any XMPP server (muctest's
// own, Prosody, ejabberd) and writes down what each client sent and
// received, so that a bug seen in a real client becomes a regression script
// in one step. Prosody's mod_scansion_record does the same from inside
// Prosody; this works in front of any server.
//
// The proxy speaks RFC 6120 to both sides. It terminates TLS: it offers
// clients its own STARTTLS with a self-signed certificate (or a given one)
// and does STARTTLS to the server itself when offered, so that it can read
// the stanzas; a client that opens with direct TLS (XEP-0368 "xmpps") is
// refused with a clear log line. It strips the SASL mechanisms it cannot
// relay or record: clients are offered only PLAIN when the server has it,
// so that the recorded script can carry the password, and never a
// channel-binding (-PLUS) mechanism, which cannot survive the terminated
// TLS. Everything after authentication is relayed element by element.
//
// The script (Render) names clients Romeo, Juliet, Mercutio, ... in the
// order they bind a resource, as scansion does, and leaves out what a
// regression script does not need: stream negotiation (features, STARTTLS,
// SASL, bind, legacy session), non-stanza elements (stream management
// acks, client state indications, whitespace), and the login noise of
// clients (roster fetches and pushes, service discovery of the server and
// of other users, pings to the server) together with the replies to it.
// Every client JID is written as ${Name's full JID}, and a bare one as
// ${Name's JID} when Name is declared without a resource (scansion's
// ${Name's JID} is the declared JID; a bare JID of a client declared with
// a resource is written out). In
// what a client receives, ids the server made up and timestamps become
// {scansion:any}, as do session ids, and timestamp text is dropped, so the
// script passes again on a fresh server; ids a client chose are kept, and
// a stanza-id by the recipient's own account is left out unless received
// again (whether a server stamps one depends on its archive policy). With
// Recording.Captures (muctest record's default) a made-up value received
// more than once becomes {scansion:capture:NAME} instead, so the replay
// checks that the server keeps it equal (one occupant-id per occupant, one
// stanza-id per groupchat message). Sets that servers send in no fixed
// order (MUC status codes, the values of list-multi form fields) are
// marked scansion:strict="false". The end of a client's stream is written
// as the script verb for what happened: "disconnects" (closing handshake),
// "'s connection drops" (no </stream:stream>), or "receives stream
// error: CONDITION" (the server ended it).
package record
