package module

// Modules of one server that build on each other share values through the
// Registrar, as Prosody's module:shared and module:depends do: a value is
// per server (per Registrar), never process-wide, so that two servers in
// one process (tests do this) each see their own. mod/private shares its
// quota.Limits for mod/pep, which takes some of XEP-0049's elements over
// and hands the rest back to mod/private's handling with those limits.

// Share publishes v under key for the other modules registered on this
// server; key is a value of an unexported type of the sharing package, as
// with context.WithValue, so that no two packages collide. A second Share
// of the same key replaces the first.
func (r *Registrar) Share(key, v any) {
	if r.shared == nil {
		r.shared = map[any]any{}
	}
	r.shared[key] = v
}

// Shared returns a function that returns the value shared under key on this
// server, or nil when no module shared one. The function is meant to be
// called from a handler or hook, once every module has registered (the
// sharing module may register after the one asking); calling it during
// Register sees only the modules registered so far. Its lookup is one map
// read of a map that no longer changes once the server is made.
func (r *Registrar) Shared(key any) func() any {
	return func() any { return r.shared[key] }
}
