package vcard

import (
	"sync/atomic"

	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/quota"
	"github.com/muctest/muctest/xmlnode"
)

// configured is the limits of the last registered Module, for the modules
// that set vCards through Admit and Store (the XEP-0084 conversion):
// package quota's defaults until one registers. One process serving
// servers with different vCard limits gets the last one's here.
var configured atomic.Pointer[quota.Limits]

// Stored returns a's vCard, parsed from its stored wire form (a tree of
// the caller's own), nil when none was set: for a module that converts it
// (the XEP-0084 avatar of a PHOTO).
func Stored(a module.Account) *xmlnode.Element {
	return cards.Get(a).parsed()
}

// Admit checks the vCard of q, a set from the account's owner, against the
// vCard and account quotas, as this module's own set does; when it is
// refused, q is answered with the error and Admit reports false.
func Admit(q *module.Request) bool {
	lim := quota.Limits{}.WithDefaults()
	if l := configured.Load(); l != nil {
		lim = *l
	}
	_, ok := admit(q, lim)
	return ok
}

// Store sets a's vCard, as a set from its owner does (after Admit).
func Store(a module.Account, card *xmlnode.Element) {
	s := cards.Use(a)
	s.card = string(card.AppendTo(nil, NS))
	s.bytes = len(s.card)
}
