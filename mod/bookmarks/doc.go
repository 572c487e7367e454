// Package bookmarks is XEP-0402 bookmarks 2 on PEP with XEP-0048
// compatibility both ways, as Prosody trunk's mod_bookmarks: the PEP node
// urn:xmpp:bookmarks:1 is the one truth; a XEP-0049 private XML get of
// storage:bookmarks (and a PEP items get of the legacy node) is answered
// from it, and a legacy save is published to it, item by item, so that
// bookmarks 2 clients are notified of what changed and legacy clients
// with storage:bookmarks+notify get the legacy form of the whole set.
package bookmarks
