package archive

import (
	"slices"

	"github.com/muctest/muctest/xmlnode"
)

// Replace puts msg in place of the archived message with id, keeping its
// place, time and "with": what a moderated retraction (XEP-0425) leaves
// is a tombstone where the message was. It costs one serialisation of msg
// and a scan of the ids, not a rebuild of the archive. If the archive
// would then exceed its byte bound, the oldest messages go, as for
// Append; a msg larger than the whole bound removes the message instead.
// Replace reports whether id was archived.
func (a *Archive) Replace(id string, msg *xmlnode.Element) bool {
	i := indexOf(a.entries, id)
	if i < 0 {
		return false
	}
	wire := msg.AppendTo(nil, nsClient)
	e := &a.entries[i]
	a.bytes -= e.size
	from, to := msg.Attrib("from"), msg.Attrib("to")
	if size := int64(len(wire)+len(e.ID)+len(e.With)+len(from)+len(to)) + entryOverhead; size <= a.lim.MaxBytes {
		e.size, e.wire, e.from, e.to = size, string(wire), from, to
		a.bytes += size
	} else {
		a.entries = slices.Delete(a.entries, i, i+1)
	}
	drop := 0
	for a.bytes > a.lim.MaxBytes && drop < len(a.entries) {
		a.bytes -= a.entries[drop].size
		drop++
	}
	a.entries = slices.Delete(a.entries, 0, drop)
	return true
}

// Remove deletes the archived message with id, reporting whether it was
// there.
func (a *Archive) Remove(id string) bool {
	i := indexOf(a.entries, id)
	if i < 0 {
		return false
	}
	a.bytes -= a.entries[i].size
	a.entries = slices.Delete(a.entries, i, i+1)
	return true
}
