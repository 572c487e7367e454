package muc

import (
	"slices"
	"strconv"
	"time"

	"github.com/muctest/muctest/xmlnode"
)

// Message archive of a room (XEP-0313 version 2, as Prosody's mod_muc_mam
// serves it): groupchat messages worth keeping are archived under their
// stanza-id while the room's archiving is enabled, and may be queried by
// anyone who may see the room (not outcasts; members in a members-only
// room), by time range, by id and page by page (XEP-0059).

const (
	nsMAM     = "urn:xmpp:mam:2"
	nsMAMExt  = "urn:xmpp:mam:2#extended"
	nsForward = "urn:xmpp:forward:0"
	nsRSM     = "http://jabber.org/protocol/rsm"

	// archiveLimit bounds a room's archive in memory; the oldest messages
	// go first (Prosody's storage_archive_item_limit default).
	archiveLimit = 1000
	// Page sizes of a query: the default and the most a client may ask.
	mamDefaultMax = 20
	mamMaxMax     = 50
)

// archived is one archived message: the message as broadcast, without
// "to", its stanza-id and when it was archived.
type archived struct {
	id  string
	msg *xmlnode.Element
	at  time.Time
}

// archive records m (just given stanza-id id) in the room archive. In a
// non-anonymous room the sender's real JID is kept with it, as Prosody
// does, so that queries can show it.
func (r *room) archive(m *xmlnode.Element, id string, sender *occupant) {
	c := m.Copy()
	c.RemoveAttr("to")
	c.RemoveChildren(nsStanzaID, "stanza-id")
	if r.conf.whois == whoisAnyone && sender != nil {
		x := child(c, nsMUCUser, "x", "")
		rl := sender.role
		addItem(x, r.affiliation(sender.bare), &rl, sender.bare, "", "", "", "")
	}
	r.log = append(r.log, archived{id: id, msg: c, at: r.svc.cfg.Now()})
	if over := len(r.log) - archiveLimit; over > 0 {
		r.log = append(r.log[:0:0], r.log[over:]...)
	}
}

// mamForm is the search form of archive queries.
func mamForm() *xmlnode.Element {
	x := newForm("form", "", "")
	addField(x, field{typ: "hidden", name: "FORM_TYPE", values: []string{nsMAM}})
	addField(x, field{typ: "jid-single", name: "with", noValue: true})
	addField(x, field{typ: "text-single", name: "start", datatype: "xs:dateTime", noValue: true})
	addField(x, field{typ: "text-single", name: "end", datatype: "xs:dateTime", noValue: true})
	addField(x, field{typ: "text-single", name: "before-id", noValue: true})
	addField(x, field{typ: "text-single", name: "after-id", noValue: true})
	addField(x, field{typ: "list-multi", name: "ids", noValue: true})
	return x
}

// handleMAM serves the search form (get) and archive queries (set).
func (r *room) handleMAM(st *xmlnode.Element, from string, q *xmlnode.Element) {
	if st.Attrib("type") == "get" {
		res := xmlnode.New(nsMAM, "query")
		res.Append(mamForm())
		r.svc.route(iqResult(st, res))
		return
	}
	aff := r.affiliation(from)
	if aff == affOutcast || (r.conf.membersOnly && aff == affNone) {
		r.svc.route(errorReply(st, "auth", "forbidden", "", ""))
		return
	}
	var start, end time.Time
	var beforeID, afterID string
	var ids map[string]bool
	if form := q.Child(nsData, "x"); form != nil {
		if ft := formType(form); ft != nsMAM {
			r.svc.route(errorReply(st, "modify", "bad-request", "Unexpected FORM_TYPE, expected '"+nsMAM+"'", ""))
			return
		}
		f := readForm(form)
		for name, p := range map[string]*time.Time{"start": &start, "end": &end} {
			if v := f.text(name); v != "" {
				t, err := time.Parse(time.RFC3339, v)
				if err != nil {
					r.svc.route(errorReply(st, "modify", "bad-request", "Invalid date-time: "+v, ""))
					return
				}
				*p = t
			}
		}
		beforeID, afterID = f.text("before-id"), f.text("after-id")
		if vals, ok := f.values["ids"]; ok {
			ids = make(map[string]bool)
			for _, v := range vals {
				ids[v] = true
			}
		}
	}
	limit := mamDefaultMax
	reverse := false
	if set := q.Child(nsRSM, "set"); set != nil {
		if m := set.Child(nsRSM, "max"); m != nil {
			if n, err := strconv.Atoi(m.Text()); err == nil && n >= 0 {
				limit = n
			}
		}
		if a := set.Child(nsRSM, "after"); a != nil {
			afterID = a.Text()
		}
		if b := set.Child(nsRSM, "before"); b != nil {
			reverse = true
			if b.Text() != "" {
				beforeID = b.Text()
			}
		}
	}
	limit = min(limit, mamMaxMax)
	// Pages are sent oldest first, in both directions, unless the client
	// asks for the page flipped (XEP-0313 flip-page).
	flip := q.Child(nsMAM, "flip-page") != nil

	// The matching messages, oldest first, then the page.
	var matching []archived
	for _, a := range r.log {
		if (!start.IsZero() && a.at.Before(start)) || (!end.IsZero() && a.at.After(end)) || (ids != nil && !ids[a.id]) {
			continue
		}
		matching = append(matching, a)
	}
	total := len(matching)
	lo, hi := 0, len(matching) // the window the page is taken from
	if afterID != "" {
		i := indexOfID(matching, afterID)
		if i < 0 {
			r.svc.route(errorReply(st, "modify", "item-not-found", "", ""))
			return
		}
		lo = i + 1
	}
	if beforeID != "" {
		i := indexOfID(matching, beforeID)
		if i < 0 {
			r.svc.route(errorReply(st, "modify", "item-not-found", "", ""))
			return
		}
		hi = i
	}
	if lo > hi {
		lo = hi
	}
	window := matching[lo:hi]
	complete := len(window) <= limit
	var page []archived
	if reverse {
		page = window[max(len(window)-limit, 0):]
	} else {
		page = window[:min(limit, len(window))]
	}

	order := slices.Clone(page)
	if flip {
		slices.Reverse(order)
	}
	qid := q.Attrib("queryid")
	for _, a := range order {
		m := newStanza("message", "to", from, "from", r.jid)
		res := child(m, nsMAM, "result", "", "queryid", qid, "id", a.id)
		fwd := child(res, nsForward, "forwarded", "")
		child(fwd, nsDelay, "delay", "", "stamp", stamp(a.at))
		item := a.msg.Copy()
		if r.conf.whois != whoisAnyone {
			item.RemoveChildren(nsMUCUser, "x")
		}
		fwd.Append(item)
		r.svc.route(m)
	}
	fin := xmlnode.New(nsMAM, "fin")
	if complete {
		fin.SetAttr("complete", "true")
	}
	set := child(fin, nsRSM, "set", "")
	if len(page) > 0 {
		child(set, nsRSM, "first", page[0].id)
		child(set, nsRSM, "last", page[len(page)-1].id)
	}
	child(set, nsRSM, "count", strconv.Itoa(total))
	r.svc.route(iqResult(st, fin))
}

func indexOfID(as []archived, id string) int {
	for i, a := range as {
		if a.id == id {
			return i
		}
	}
	return -1
}
