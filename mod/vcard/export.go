package vcard

import (
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/xmlnode"
)

// Stored returns a's vCard (shared: do not modify), nil when none was set:
// for a module that converts it (the XEP-0084 avatar of a PHOTO).
func Stored(a module.Account) *xmlnode.Element {
	if s := cards.Get(a); s != nil {
		return s.card
	}
	return nil
}

// Store sets a's vCard, as a set from its owner does.
func Store(a module.Account, card *xmlnode.Element) { cards.Use(a).card = card }
