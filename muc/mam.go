package muc

import (
	"github.com/muctest/muctest/archive"
	"github.com/muctest/muctest/xmlnode"
)

// Message archive of a room (XEP-0313 version 2, as Prosody's mod_muc_mam
// serves it): groupchat messages worth keeping are archived under their
// stanza-id while the room's archiving is enabled, and may be queried by
// anyone who may see the room (not outcasts; members in a members-only
// room), by time range, by occupant, by id and page by page (XEP-0059).
// The store is package archive's, the one accounts' archives use too.

const (
	nsMAM    = archive.NS
	nsMAMExt = archive.NSExtended

	// archiveLimit bounds a room's archive in messages; the oldest go
	// first (Prosody's storage_archive_item_limit default). The archive's
	// byte bound (archive.DefaultMaxBytes) applies as well.
	archiveLimit = 1000
)

// archive records m (just given stanza-id id) in the room archive. In a
// non-anonymous room the sender's real JID is kept with it, as Prosody
// does, so that queries can show it to those allowed to see it.
func (r *room) archive(m *xmlnode.Element, id string, sender *occupant) {
	if r.arch == nil {
		r.arch = r.svc.newArchive()
	}
	c := m.Copy()
	c.RemoveAttr("to")
	c.RemoveChildren(nsStanzaID, "stanza-id")
	if r.conf.whois == whoisAnyone && sender != nil {
		x := child(c, nsMUCUser, "x", "")
		rl := sender.role
		addItem(x, r.affiliation(sender.bare), &rl, sender.bare, "", "", "", "")
	}
	idAttr := c.Attrib("id")
	if r.appendArchive(archive.Entry{ID: id, Msg: c, At: r.svc.cfg.Now()}) { // quota.go
		r.keyArchived(id, idAttr) // moderatestore.go
	}
}

// handleMAM serves the search form (get) and archive queries (set).
func (r *room) handleMAM(st *xmlnode.Element, from string, q *xmlnode.Element) {
	if st.Attrib("type") == "get" {
		res := xmlnode.New(nsMAM, "query")
		res.Append(archive.Form())
		r.svc.route(iqResult(st, res))
		return
	}
	aff := r.affiliation(from)
	if aff == affOutcast || (r.conf.membersOnly && aff == affNone) {
		r.svc.route(errorReply(st, "auth", "forbidden", "", ""))
		return
	}
	mq, err := archive.ParseQuery(q)
	if err == nil && r.arch == nil {
		r.arch = r.svc.newArchive()
	}
	var page archive.Page
	if err == nil {
		before := r.arch.Bytes()
		page, err = r.arch.Query(mq, nil)
		r.svc.archBytes += r.arch.Bytes() - before // a retention may expire messages
	}
	if err != nil {
		e, ok := err.(*archive.Error)
		if !ok {
			e = &archive.Error{Type: "wait", Condition: "internal-server-error"}
		}
		r.svc.route(errorReply(st, e.Type, e.Condition, e.Text, ""))
		return
	}
	var strip func(*xmlnode.Element)
	if r.conf.whois != whoisAnyone {
		strip = func(m *xmlnode.Element) { m.RemoveChildren(nsMUCUser, "x") }
	}
	for _, m := range page.Results(r.jid, from, strip) {
		r.svc.route(m)
	}
	r.svc.route(iqResult(st, page.Fin()))
}
