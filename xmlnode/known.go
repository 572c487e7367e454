package xmlnode

// KnownNamespace returns the shared copy of the namespace URI b when it is
// one XMPP uses every day (the table Read shares them from), so that
// parsers building trees themselves (package xmlscan) share them too
// instead of keeping a copy per element.
func KnownNamespace(b []byte) (string, bool) {
	return knownTable.Lookup(b)
}
