package router

import "github.com/muctest/muctest/xmlnode"

// serialiseLater prepares a reply a RouteLater build made for the writes
// that follow under the lock: an iq result with a payload is frozen
// (xmlnode.Freeze) here, without the lock, so that its session's
// connection copies bytes where it would otherwise serialise the whole
// tree with every other stanza waiting (a private XML or vCard get of
// 4,000 elements, issue 11). The reply's top-level attributes may still
// change on the way (a delivery's "to"), which Freeze allows; its
// children are the build's own and nobody changes them any more
// (Context.RouteLater's rule). Other stanzas (a fan-out's messages,
// already frozen, or built small) are left as they are.
func serialiseLater(st *xmlnode.Element) *xmlnode.Element {
	if st.Name.Local != "iq" || st.Attrib("type") != "result" || len(st.Children) == 0 {
		return st
	}
	return st.Freeze()
}
