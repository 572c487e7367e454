package vcard

import (
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/quota"
	"github.com/muctest/muctest/xmlnode"
)

// limitsKey is what the Module shares its limits under (Registrar.Share),
// for Admitter on the same server.
type limitsKey struct{}

// Stored returns a's vCard, parsed from its stored wire form (a tree of
// the caller's own), nil when none was set. Parsing a large vCard holds
// the router's lock for milliseconds: a handler that answers with the
// vCard uses Lookup and parses in its RouteLater build instead.
func Stored(a module.Account) *xmlnode.Element {
	return cards.Get(a).parsed()
}

// Lookup returns a's vCard in its wire form ("" when none was set) and
// whether it has a PHOTO of its own, without parsing it: for a module that
// converts it (the XEP-0084 avatar of a PHOTO) and answers with it after
// the router's lock is released (Context.RouteLater, then Parse). The
// string is immutable, so the build may keep it.
func Lookup(a module.Account) (wire string, photo bool) {
	s := cards.Get(a)
	if s == nil {
		return "", false
	}
	return s.card, s.photo
}

// Parse returns the vCard of a wire form from Lookup as a tree of the
// caller's own, nil for "". It needs no lock.
func Parse(wire string) *xmlnode.Element {
	if wire == "" {
		return nil
	}
	card, err := xmlnode.ParseIn(wire, NS)
	if err != nil {
		// What AppendTo wrote parses back (xmlnode's round trip
		// property): not reached, and read as no vCard.
		return nil
	}
	return card
}

// Admitter returns the check a module that sets vCards itself (the
// XEP-0084 conversion) runs before Store: the vCard of q, a set from the
// account's owner, against the vCard and account quotas of the vcard
// Module registered on r's server (package quota's defaults when none is),
// as that module's own set does. When the vCard is refused, q is answered
// with the error and the check reports false. The limits are per server,
// not per process.
func Admitter(r *module.Registrar) func(q *module.Request) bool {
	shared := r.Shared(limitsKey{})
	def := quota.Defaults()
	return func(q *module.Request) bool {
		lim := def
		if l, ok := shared().(quota.Limits); ok {
			lim = l
		}
		_, ok := admit(q, lim)
		return ok
	}
}

// Store sets a's vCard, as a set from its owner does (after Admitter's
// check).
func Store(a module.Account, card *xmlnode.Element) {
	cards.Use(a).set(card, string(card.AppendTo(nil, NS)))
}
