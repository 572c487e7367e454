package muc

import (
	"github.com/muctest/muctest/stanzaerr"
	"github.com/muctest/muctest/xmlnode"
)

// errorReply builds an error reply the way Prosody's st.error_reply does
// (package stanzaerr): no copy of the original payload, and a "by"
// attribute only when by differs from the address the error comes from.
func errorReply(orig *xmlnode.Element, typ, condition, text, by string) *xmlnode.Element {
	return stanzaerr.Reply(orig, typ, condition, text, by)
}

// stanzaError returns the condition and text of an error stanza; condition
// is "" when the error element is missing or malformed.
func stanzaError(st *xmlnode.Element) (condition, text string) {
	e := st.Child("", "error")
	if e == nil {
		return "", ""
	}
	for _, c := range e.Elements() {
		if c.Name.Space != nsStanzas {
			continue
		}
		if c.Name.Local == "text" {
			text = c.Text()
		} else if condition == "" {
			condition = c.Name.Local
		}
	}
	return condition, text
}

// kickableErrors are the error conditions that show a client is gone, so
// that an error bounced to the room removes its occupant (Prosody's
// muc/util.lib.lua).
var kickableErrors = map[string]bool{
	"gone": true, "internal-server-error": true, "item-not-found": true,
	"jid-malformed": true, "recipient-unavailable": true, "redirect": true,
	"remote-server-not-found": true, "remote-server-timeout": true,
	"service-unavailable": true, "": true,
}

func isKickableError(st *xmlnode.Element) bool {
	cond, _ := stanzaError(st)
	return kickableErrors[cond]
}
