package private

import "github.com/muctest/muctest/module"

// Handle serves a XEP-0049 request as this module does, for a module that
// takes some elements over (XEP-0402 bookmarks take storage:bookmarks)
// and hands the rest back here.
func Handle(q *module.Request) { handle(q) }
