package private

import (
	"sync/atomic"

	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/quota"
)

// configured is the limits of the last registered Module, for Handle:
// package quota's defaults until one registers. One process serving
// servers with different private-storage limits gets the last one's here.
var configured atomic.Pointer[quota.Limits]

// Handle serves a XEP-0049 request as this module does, within its
// limits, for a module that takes some elements over (XEP-0402 bookmarks
// take storage:bookmarks) and hands the rest back here.
func Handle(q *module.Request) {
	lim := quota.Limits{}.WithDefaults()
	if l := configured.Load(); l != nil {
		lim = *l
	}
	handle(q, lim)
}
