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
// the caller's own), nil when none was set: for a module that converts it
// (the XEP-0084 avatar of a PHOTO).
func Stored(a module.Account) *xmlnode.Element {
	return cards.Get(a).parsed()
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
	s := cards.Use(a)
	s.card = string(card.AppendTo(nil, NS))
	s.bytes = len(s.card)
}
