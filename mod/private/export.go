package private

import (
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/quota"
)

// Handle serves a XEP-0049 request as this module does, for a module that
// takes some elements over (XEP-0402 bookmarks take storage:bookmarks)
// and hands the rest back here. It applies package quota's default
// limits: a module calling it does not know the private module's own.
func Handle(q *module.Request) { handle(q, quota.Limits{}.WithDefaults()) }
