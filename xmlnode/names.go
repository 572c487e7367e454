package xmlnode

import (
	"maps"
	"slices"

	"github.com/muctest/muctest/internal/intern"
)

// Name sharing for Read. encoding/xml gives every element and attribute
// its own copy of its local name, and every namespace declaration its own
// copy of the URI, which the tree would keep: a stanza of 820 roster items
// each declaring its namespace kept 820 copies of it. Read instead takes
// a namespace from the parent (most elements are in their parent's
// namespace) or a table of the namespaces XMPP uses every day, and a name
// from those the same Read saw last, and the decoder's copy is garbage.

// knownNames holds the namespace URIs of XMPP (RFC 6120, RFC 6121 and the
// XEPs muctest serves), each mapped to itself: looking one up returns a
// string the tree can share.
var knownNames = func() map[string]string {
	m := map[string]string{}
	for _, s := range []string{
		"jabber:client", "jabber:server", "jabber:component:accept", "http://etherx.jabber.org/streams",
		"urn:ietf:params:xml:ns:xmpp-stanzas", "urn:ietf:params:xml:ns:xmpp-streams",
		"urn:ietf:params:xml:ns:xmpp-bind", "urn:ietf:params:xml:ns:xmpp-session",
		"urn:ietf:params:xml:ns:xmpp-sasl", "urn:ietf:params:xml:ns:xmpp-tls",
		"jabber:iq:roster", "jabber:iq:private", "jabber:iq:register", "jabber:iq:last", "jabber:iq:version",
		"jabber:x:data", "jabber:x:conference", "jabber:x:delay", "jabber:x:oob", "storage:bookmarks",
		"http://jabber.org/protocol/muc", "http://jabber.org/protocol/muc#user",
		"http://jabber.org/protocol/muc#admin", "http://jabber.org/protocol/muc#owner",
		"http://jabber.org/protocol/muc#register", "http://jabber.org/protocol/muc#request",
		"http://jabber.org/protocol/disco#info", "http://jabber.org/protocol/disco#items",
		"http://jabber.org/protocol/caps", "http://jabber.org/protocol/commands",
		"http://jabber.org/protocol/chatstates", "http://jabber.org/protocol/rsm",
		"http://jabber.org/protocol/nick", "http://jabber.org/protocol/address",
		"http://jabber.org/protocol/pubsub", "http://jabber.org/protocol/pubsub#event",
		"http://jabber.org/protocol/pubsub#owner", "http://jabber.org/protocol/pubsub#errors",
		"urn:xmpp:sid:0", "urn:xmpp:occupant-id:0", "urn:xmpp:delay", "urn:xmpp:forward:0",
		"urn:xmpp:carbons:2", "urn:xmpp:mam:2", "urn:xmpp:hints", "urn:xmpp:receipts",
		"urn:xmpp:chat-markers:0", "urn:xmpp:message-correct:0", "urn:xmpp:reactions:0",
		"urn:xmpp:reply:0", "urn:xmpp:fallback:0", "urn:xmpp:eme:0", "urn:xmpp:ping", "urn:xmpp:time",
		"urn:xmpp:sm:3", "urn:xmpp:csi:0", "urn:xmpp:blocking", "urn:xmpp:bookmarks:1",
		"urn:xmpp:avatar:data", "urn:xmpp:avatar:metadata", "urn:xmpp:http:upload:0",
		"urn:xmpp:jingle-message:0", "urn:xmpp:openpgp:0", "eu.siacs.conversations.axolotl",
		"vcard-temp", "vcard-temp:x:update", "http://www.w3.org/2005/Atom", XMLNamespace,
	} {
		m[s] = s
	}
	return m
}()

// knownTable is knownNames as the parsers look it up: faster than the map
// (package intern).
var knownTable = intern.New(slices.Collect(maps.Keys(knownNames))...)

// recentNames is how many names not in the table one Read remembers.
const recentNames = 8

// maxRecentName bounds the length of a name one Read remembers, so that a
// pooled reader keeps no long name alive.
const maxRecentName = 64

// names returns shared copies of the names one Read meets.
type names struct {
	recent [recentNames]string
	next   int
	// attrs are the attribute names of the last element that had
	// attributes, in order: the elements of a list (roster items,
	// form fields, occupants) repeat the same ones.
	attrs [recentNames]string
}

// space returns a shared copy of the namespace URI s of an element whose
// parent is in namespace parent ("" for none).
func (n *names) space(s, parent string) string {
	switch s {
	case parent:
		return parent
	case "":
		return ""
	}
	if k, ok := knownTable.LookupString(s); ok {
		return k
	}
	return n.local(s)
}

// local returns a shared copy of the element name s: one this Read saw
// lately, or s itself. Names are short, and the allocator packs short
// strings together, so they are not looked up in knownNames: what a copy
// saves would not pay for the lookup.
func (n *names) local(s string) string {
	for _, r := range n.recent {
		if r == s {
			return r
		}
	}
	if len(s) <= maxRecentName {
		n.recent[n.next] = s
		n.next = (n.next + 1) % recentNames
	}
	return s
}

// attr returns a shared copy of s, the name of an element's i-th
// attribute: the previous element's i-th attribute name when it is the
// same, which costs one comparison.
func (n *names) attr(i int, s string) string {
	if i >= recentNames || len(s) > maxRecentName {
		return s
	}
	if n.attrs[i] == s {
		return n.attrs[i]
	}
	n.attrs[i] = s
	return s
}

// forget drops the remembered names (a Read's names are its own).
func (n *names) forget() { *n = names{} }
