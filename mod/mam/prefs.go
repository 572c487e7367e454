package mam

import (
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/quota"
)

// prefList is an account's <always/> and <never/> JID lists (normalised),
// set when the owner sent <prefs/>. They live in an account slot of their
// own, apart from the archive (an Evictor, which the account's budget does
// not count): up to maxPrefsJIDs JIDs of up to 3 KB each in each list are
// the owner's to choose, so they count against quota.Limits.AccountBytes
// and the server's total like any other store, or accounts setting them
// would hold memory no bound sees.
type prefList struct {
	always, never map[string]bool
	bytes         int
}

// Size implements module.Sizer.
func (p *prefList) Size() int { return p.bytes }

var prefLists = module.NewAccountState[prefList]("mam-prefs")

// prefJIDCost is what one listed JID costs beyond its bytes: its map slot.
const prefJIDCost = 48

func listBytes(set map[string]bool) int {
	n := 0
	for j := range set {
		n += len(j) + prefJIDCost
	}
	return n
}

// setLists makes always and never a's lists if its budget allows, and
// reports whether it did; empty lists free the slot.
func (s *service) setLists(a module.Account, always, never map[string]bool) bool {
	n := listBytes(always) + listBytes(never)
	had := 0
	if l := prefLists.Get(a); l != nil {
		had = l.bytes
	}
	if !quota.Budget(a, s.AccountBytes, n-had) {
		return false
	}
	if len(always) == 0 && len(never) == 0 {
		prefLists.Drop(a)
		return true
	}
	l := prefLists.Use(a)
	l.always, l.never, l.bytes = always, never, n
	return true
}
