package muc

import (
	"strings"
	"unicode"

	"github.com/muctest/muctest/jidcheck"
	"github.com/muctest/muctest/xmlnode"
)

// Namespaces the service reads and writes.
const (
	nsClient      = "jabber:client"
	nsStanzas     = "urn:ietf:params:xml:ns:xmpp-stanzas"
	nsMUC         = "http://jabber.org/protocol/muc"
	nsMUCUser     = "http://jabber.org/protocol/muc#user"
	nsMUCAdmin    = "http://jabber.org/protocol/muc#admin"
	nsMUCOwner    = "http://jabber.org/protocol/muc#owner"
	nsMUCRequest  = "http://jabber.org/protocol/muc#request"
	nsMUCUnique   = "http://jabber.org/protocol/muc#unique"
	nsRoomConfig  = "http://jabber.org/protocol/muc#roomconfig"
	nsRoomInfo    = "http://jabber.org/protocol/muc#roominfo"
	nsMUCRegister = "http://jabber.org/protocol/muc#register"
	nsDiscoInfo   = "http://jabber.org/protocol/disco#info"
	nsDiscoItems  = "http://jabber.org/protocol/disco#items"
	nsCommands    = "http://jabber.org/protocol/commands"
	nsData        = "jabber:x:data"
	nsXDataValid  = "http://jabber.org/protocol/xdata-validate"
	nsRegister    = "jabber:iq:register"
	nsDelay       = "urn:xmpp:delay"
	nsLegacyDelay = "jabber:x:delay"
	nsOccupantID  = "urn:xmpp:occupant-id:0"
	nsStanzaID    = "urn:xmpp:sid:0"
	nsConference  = "jabber:x:conference"
	nsPing        = "urn:xmpp:ping"
	nsHints       = "urn:xmpp:hints"
	nsHats        = "xmpp:prosody.im/protocol/hats:1"
	nsVCard       = "vcard-temp"
	nsVCard4      = "urn:ietf:params:xml:ns:vcard-4.0"
	nsPubSub      = "http://jabber.org/protocol/pubsub"
	nsChatMarkers = "urn:xmpp:chat-markers:0"
	nsEME         = "urn:xmpp:eme:0"
)

// newStanza returns a jabber:client stanza named name with the given
// attributes (name, value pairs; empty values are left out).
func newStanza(name string, attrs ...string) *xmlnode.Element {
	return newElement(nsClient, name, attrs...)
}

// newElement is xmlnode.New leaving out attributes whose value is empty, so
// that callers can pass optional ones (a reason, an id) unconditionally.
func newElement(space, local string, attrs ...string) *xmlnode.Element {
	e := xmlnode.New(space, local)
	for i := 0; i+1 < len(attrs); i += 2 {
		if attrs[i+1] != "" {
			e.SetAttr(attrs[i], attrs[i+1])
		}
	}
	return e
}

// child adds a child element with optional text and returns the child.
func child(parent *xmlnode.Element, space, local, text string, attrs ...string) *xmlnode.Element {
	c := newElement(space, local, attrs...)
	if text != "" {
		c.SetText(text)
	}
	parent.Append(c)
	return c
}

// reply returns the empty reply to orig: from and to swapped, same id, type
// "result" for an IQ and the original type otherwise (util.stanza.reply).
func reply(orig *xmlnode.Element) *xmlnode.Element {
	typ := orig.Attrib("type")
	if orig.Name.Local == "iq" {
		typ = "result"
	}
	return newStanza(orig.Name.Local, "to", orig.Attrib("from"), "from", orig.Attrib("to"),
		"id", orig.Attrib("id"), "type", typ)
}

// iqResult is reply for an IQ, with an optional query payload.
func iqResult(orig *xmlnode.Element, payload *xmlnode.Element) *xmlnode.Element {
	r := reply(orig)
	if payload != nil {
		r.Append(payload)
	}
	return r
}

// filterMUCPayloads removes the MUC protocol elements (and Prosody's hats)
// a client put in a stanza that the room forwards, so that nobody can forge
// room-generated payloads.
func filterMUCPayloads(st *xmlnode.Element) *xmlnode.Element {
	out := st.Children[:0]
	for _, c := range st.Children {
		if el, ok := c.(*xmlnode.Element); ok {
			switch el.Name.Space {
			case nsMUC, nsMUCUser, nsHats:
				continue
			}
		}
		out = append(out, c)
	}
	st.Children = out
	return st
}

// bareOf returns the bare form of a JID string (no validation).
func bareOf(j string) string {
	if i := strings.IndexByte(j, '/'); i >= 0 {
		return j[:i]
	}
	return j
}

// resourceOf returns the resource of a JID string, "" when there is none.
func resourceOf(j string) string {
	if i := strings.IndexByte(j, '/'); i >= 0 {
		return j[i+1:]
	}
	return ""
}

// prepJID normalises a JID given in a payload (an invitee, an item's jid);
// ok is false when it is malformed.
func prepJID(s string) (string, bool) {
	if s == "" {
		return "", false
	}
	j, err := jidcheck.Parse(s)
	if err != nil {
		return "", false
	}
	return j.String(), true
}

// prepOptionalJID normalises an optional JID attribute of a request: ""
// stays "", anything else must pass prepJID. On a malformed JID it answers
// st with jid-malformed and reports false, so the caller just returns.
func (r *room) prepOptionalJID(st *xmlnode.Element, s string) (string, bool) {
	if s == "" {
		return "", true
	}
	j, ok := prepJID(s)
	if !ok {
		r.svc.route(errorReply(st, "modify", "jid-malformed", "", ""))
	}
	return j, ok
}

// validNick reports whether nick passes strict validation: a valid
// resourcepart that uses no character unknown to Unicode 3.2 (which
// Prosody's strict resourceprep refuses; emoji are the common case).
func validNick(nick string) bool {
	if nick == "" || len(nick) > jidcheck.MaxPartBytes {
		return false
	}
	if _, err := jidcheck.NewFast("", "x", nick); err != nil {
		return false
	}
	for _, r := range nick {
		if r >= 0x1F000 && r < 0x20000 {
			return false // emoji and symbol blocks, all later than Unicode 3.2
		}
		if r >= 0x2B00 && r <= 0x2BFF {
			return false // Miscellaneous Symbols and Arrows (Unicode 4.0+)
		}
		if !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Zs) {
			return false
		}
	}
	return true
}

// prepNick normalises and validates a nickname given in a payload (admin
// items, registration forms); ok is false when it is invalid.
func prepNick(s string) (string, bool) {
	s = jidcheck.MapNothing(s)
	if !validNick(s) {
		return "", false
	}
	return s, true
}

// visibleNick reports whether nick has a non-space character: Prosody
// forbids invisible nicknames.
func visibleNick(nick string) bool {
	return strings.ContainsFunc(nick, func(r rune) bool { return !unicode.IsSpace(r) })
}
