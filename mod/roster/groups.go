package roster

import (
	"slices"

	"github.com/muctest/muctest/module"
)

// Groups returns the groups contact (a bare JID) is in on a's roster, and
// whether contact is on it at all: what the XEP-0060 roster access model
// of a PEP node decides by. Call it with the router's lock held (from a
// handler or hook).
func Groups(a module.Account, contact string) ([]string, bool) {
	ro := rosters.Get(a)
	if ro == nil {
		return nil, false
	}
	it := ro.items[contact]
	if it == nil {
		return nil, false
	}
	return slices.Clone(it.groups), true
}

// SubscribedFrom reports whether contact (a bare JID in its normal
// string form, as the router stamps it) is subscribed to a's presence
// ("from" or "both"): module.Contacts.IsSubscriber for a string, with
// neither a parse nor an allocation, what a PEP publish asks once per
// interested contact with the router's lock held (issue 11). Call it
// with the router's lock held.
func SubscribedFrom(a module.Account, contact string) bool {
	ro := rosters.Get(a)
	if ro == nil {
		return false
	}
	it := ro.items[contact]
	return it != nil && it.subFrom
}
