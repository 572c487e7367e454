package pubsub

import "github.com/muctest/muctest/jidcheck"

// maxBares bounds the bare JIDs recipients remembers (jidcheck.Memo: the
// memo is cleared when it grows past it, so that a stream of distinct
// addresses costs a parse again, never memory): room for a publish to
// every contact of several accounts at their roster quota.
const maxBares = 8192

// bares remembers bare(j) for the interested entities recipients sees:
// the same contacts' full JIDs at every publish.
var bares jidcheck.Memo[string]

// recipientBare is bare, remembered. bare is a pure function of its
// argument, so a remembered result is what it would return.
func recipientBare(j string) string {
	if b, ok := bares.Load(j); ok {
		return b
	}
	b := bare(j)
	bares.Store(j, b, maxBares)
	return b
}
