package module

// Deliveries returns how many stanzas c's router has written to
// sessions so far (a count that only grows), or 0 when c has none (a
// Context that is not the router's). A hook that splits its work into
// spans (Context.Later) bounds each span by what it made the router
// deliver as well as by how many items it took: a probe to a contact
// with a hundred resources is answered with a hundred presences, each
// written with the lock held (issue 11). Only valid with the lock held.
func Deliveries(c Context) uint64 {
	d, ok := c.(interface{ Deliveries() uint64 })
	if !ok {
		return 0
	}
	return d.Deliveries()
}
