package muc

import (
	"strings"

	"mellium.im/xmpp/jid"
)

// stableJID refuses a JID whose domainpart has an empty label. jid.Parse
// strips one trailing dot (RFC 7622 section 3.2) but accepts "a..", which
// becomes "a." and then "a" on the next pass, so prepJID would not be
// idempotent and one user could hold two affiliation keys. Found by
// FuzzPrep.
func stableJID(j jid.JID) bool {
	d := j.Domainpart()
	if strings.HasPrefix(d, "[") {
		return true // an IP-literal
	}
	return d != "" && !strings.HasPrefix(d, ".") && !strings.HasSuffix(d, ".") && !strings.Contains(d, "..")
}
