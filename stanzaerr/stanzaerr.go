// Package stanzaerr builds stanza error replies (RFC 6120 section 8.3), the
// one way the router, the c2s streams and the MUC service send them, so
// that an error looks the same on the wire whoever raised it.
//
// The reply follows Prosody's util.stanza error_reply, the conformance bar
// of the project: the original payload is not echoed (RFC 6120 allows
// either), and "by" is set only when it names someone other than the
// reply's sender.
package stanzaerr

import "github.com/muctest/muctest/xmlnode"

// Namespaces of an error reply.
const (
	NSClient  = "jabber:client"
	NSStanzas = "urn:ietf:params:xml:ns:xmpp-stanzas"
)

// Reply returns the error answer to st: the same stanza kind, from and to
// swapped, the same id (each only when st has it), type "error", and
// <error type='typ' [by='by']><cond/>[<text>text</text>]</error>. typ is
// one of RFC 6120's error types (cancel, continue, modify, auth, wait),
// cond a defined condition such as "service-unavailable".
func Reply(st *xmlnode.Element, typ, cond, text, by string) *xmlnode.Element {
	r := xmlnode.New(NSClient, st.Name.Local)
	from := st.Attrib("to")
	if from != "" {
		r.SetAttr("from", from)
	}
	if v := st.Attrib("from"); v != "" {
		r.SetAttr("to", v)
	}
	if v := st.Attrib("id"); v != "" {
		r.SetAttr("id", v)
	}
	r.SetAttr("type", "error")
	e := r.AddChild(NSClient, "error", "type", typ)
	if by != "" && by != from {
		e.SetAttr("by", by)
	}
	e.AddChild(NSStanzas, cond)
	if text != "" {
		e.AddChild(NSStanzas, "text").SetText(text)
	}
	return r
}
