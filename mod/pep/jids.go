package pep

// Parsed addresses, remembered: a presence broadcast to every contact runs
// the module's hooks once per recipient with the same few strings (the
// sender's full JID, the recipient's bare JID), and PRECIS on each was
// most of the time the router's lock was held (issue 11).

import (
	"mellium.im/xmpp/jid"

	"github.com/muctest/muctest/jidcheck"
	"github.com/muctest/muctest/module"
)

// maxParsed bounds the remembered addresses: the map is cleared when it
// grows past it, which bounds memory without bookkeeping (a hostile
// stream of distinct addresses costs a re-parse, never memory).
const maxParsed = 4096

// parsedJID is what jidcheck.ParseFast (equal to jid.Parse) made of a
// string: the JID and the string forms the package compares with.
type parsedJID struct {
	j    jid.JID
	bare string // j.Bare().String()
}

var parsed jidcheck.Memo[parsedJID]

// parseJID is jidcheck.ParseFast, remembered. Parsing is a pure function
// of its argument, so a remembered result is exactly what it would return;
// only successes are kept.
func parseJID(s string) (parsedJID, bool) {
	if p, ok := parsed.Load(s); ok {
		return p, true
	}
	j, err := jidcheck.ParseFast(s)
	if err != nil {
		return parsedJID{}, false
	}
	p := parsedJID{j: j, bare: j.Bare().String()}
	parsed.Store(s, p, maxParsed)
	return p, true
}

// bareOf returns the bare form of a JID string ("" when it does not parse).
func bareOf(s string) string {
	p, _ := parseJID(s)
	return p.bare
}

// accountJID holds an account's bare JID as a string, made once: the
// presence hooks run once per recipient of a broadcast, and
// jid.JID.String builds a new string each time.
var accountJID = module.NewAccountState[string]("pep.jid")

// acctJID returns a's bare JID string.
func acctJID(a module.Account) string {
	p := accountJID.Use(a)
	if *p == "" {
		*p = a.JID().String()
	}
	return *p
}
