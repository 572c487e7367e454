package private

import (
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/quota"
)

// limitsKey is what the Module shares its limits under (Registrar.Share),
// for Fallback on the same server.
type limitsKey struct{}

// Fallback returns the XEP-0049 handling of the private Module registered
// on r's server, within that module's limits (package quota's defaults
// when none is registered there), for a module that takes some elements
// over (XEP-0402 bookmarks take storage:bookmarks) and hands the rest back
// to it. The limits are looked up per server, not per process, so that two
// servers with different quotas in one process each keep their own.
func Fallback(r *module.Registrar) func(q *module.Request) {
	shared := r.Shared(limitsKey{})
	def := quota.Defaults()
	return func(q *module.Request) {
		lim := def
		if l, ok := shared().(quota.Limits); ok {
			lim = l
		}
		handle(q, lim)
	}
}
