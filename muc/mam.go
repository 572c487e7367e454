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
	mq, ok := r.parseMAMQuery(st, q)
	if !ok {
		return
	}

	// The matching messages, oldest first, then the page.
	var matching []archived
	for _, a := range r.log {
		if (!mq.start.IsZero() && a.at.Before(mq.start)) || (!mq.end.IsZero() && a.at.After(mq.end)) || (mq.ids != nil && !mq.ids[a.id]) {
			continue
		}
		matching = append(matching, a)
	}
	lo, hi := 0, len(matching) // the window the page is taken from
	if mq.afterID != "" {
		i := indexOfID(matching, mq.afterID)
		if i < 0 {
			r.svc.route(errorReply(st, "modify", "item-not-found", "", ""))
			return
		}
		lo = i + 1
	}
	if mq.beforeID != "" {
		i := indexOfID(matching, mq.beforeID)
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
	var page []archived
	if mq.reverse {
		page = window[max(len(window)-mq.limit, 0):]
	} else {
		page = window[:min(mq.limit, len(window))]
	}
	r.sendMAMPage(st, from, mq, page, len(matching), len(window) <= mq.limit)
}

// mamQuery is what an archive query asks for: the form's filters and the
// result set management (XEP-0059) of the page.
type mamQuery struct {
	start, end        time.Time       // zero: unbounded
	beforeID, afterID string          // "" when absent
	ids               map[string]bool // nil: any id
	limit             int             // page size, at most mamMaxMax
	reverse           bool            // <before/>: the last page of the window
	flip              bool            // XEP-0313 flip-page: the page newest first
	queryID           string
}

// parseMAMQuery reads a query's form and RSM set; on a malformed one it
// answers st with bad-request and reports false.
func (r *room) parseMAMQuery(st, q *xmlnode.Element) (mamQuery, bool) {
	mq := mamQuery{limit: mamDefaultMax, queryID: q.Attrib("queryid")}
	if form := q.Child(nsData, "x"); form != nil {
		if ft := formType(form); ft != nsMAM {
			r.svc.route(errorReply(st, "modify", "bad-request", "Unexpected FORM_TYPE, expected '"+nsMAM+"'", ""))
			return mq, false
		}
		f := readForm(form)
		for name, p := range map[string]*time.Time{"start": &mq.start, "end": &mq.end} {
			if v := f.text(name); v != "" {
				t, err := time.Parse(time.RFC3339, v)
				if err != nil {
					r.svc.route(errorReply(st, "modify", "bad-request", "Invalid date-time: "+v, ""))
					return mq, false
				}
				*p = t
			}
		}
		mq.beforeID, mq.afterID = f.text("before-id"), f.text("after-id")
		if vals, ok := f.values["ids"]; ok {
			mq.ids = make(map[string]bool)
			for _, v := range vals {
				mq.ids[v] = true
			}
		}
	}
	if set := q.Child(nsRSM, "set"); set != nil {
		if m := set.Child(nsRSM, "max"); m != nil {
			if n, err := strconv.Atoi(m.Text()); err == nil && n >= 0 {
				mq.limit = n
			}
		}
		if a := set.Child(nsRSM, "after"); a != nil {
			mq.afterID = a.Text()
		}
		if b := set.Child(nsRSM, "before"); b != nil {
			mq.reverse = true
			if b.Text() != "" {
				mq.beforeID = b.Text()
			}
		}
	}
	mq.limit = min(mq.limit, mamMaxMax)
	// Pages are sent oldest first, in both directions, unless the client
	// asks for the page flipped (XEP-0313 flip-page).
	mq.flip = q.Child(nsMAM, "flip-page") != nil
	return mq, true
}

// sendMAMPage sends the page's messages to from, then the <fin/> result
// with the page's first and last ids and the count of matching messages
// (total); complete says the page is the last one in its direction.
func (r *room) sendMAMPage(st *xmlnode.Element, from string, mq mamQuery, page []archived, total int, complete bool) {
	order := slices.Clone(page)
	if mq.flip {
		slices.Reverse(order)
	}
	for _, a := range order {
		m := newStanza("message", "to", from, "from", r.jid)
		res := child(m, nsMAM, "result", "", "queryid", mq.queryID, "id", a.id)
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
