package server

import (
	"errors"
	"strings"

	"mellium.im/xmpp/jid"
)

// errEmptyLabel reports a domainpart with an empty label.
var errEmptyLabel = errors.New("server: domainpart has an empty label")

// checkDomain refuses a parsed JID whose domainpart has an empty label
// (".", "a..b", "a.", ".a"). jid.Parse strips one trailing dot as RFC 7622
// section 3.2 says but does not reject empty labels, so "x@a.." became
// "x@a.", which parses again to "x@a": the address the router writes back
// into "to" would not be a fixed point. Found by FuzzJIDStable.
func checkDomain(j jid.JID) error {
	d := j.Domainpart()
	if strings.HasPrefix(d, "[") {
		return nil // an IP-literal
	}
	if d == "" || strings.HasPrefix(d, ".") || strings.HasSuffix(d, ".") || strings.Contains(d, "..") {
		return errEmptyLabel
	}
	return nil
}
