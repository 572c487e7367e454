// Package archive is the message store behind XEP-0313 Message Archive
// Management, shared by the archives of accounts and of MUC rooms: one
// archive per owner, queried by time, by the other party, by id and page by
// page with XEP-0059 Result Set Management, with the XEP-0313 extensions
// Prosody trunk serves (flip-page, <metadata/>, the ids field).
//
// It holds no routing: the caller parses a query with ParseQuery, runs it
// with Archive.Query and sends the page (Page.Results wraps each message as
// a <result/> for the querier, Page.Fin builds the iq's <fin/>).
//
// An archive is bounded by count and by bytes (measured on each message's
// wire form, plus what holding it costs: its ids, addresses and place in
// the archive) and, optionally, by age: appending past a bound drops the
// oldest messages, as Prosody's archive item limit does, so a flood costs
// old history, never memory.
package archive

import (
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"
	"unsafe"

	"github.com/muctest/muctest/xmlnode"
)

// Namespaces of XEP-0313 (version 2), its extended features, XEP-0297
// forwarding, XEP-0203 delay and XEP-0059.
const (
	NS         = "urn:xmpp:mam:2"
	NSExtended = "urn:xmpp:mam:2#extended"
	NSForward  = "urn:xmpp:forward:0"
	NSDelay    = "urn:xmpp:delay"
	NSRSM      = "http://jabber.org/protocol/rsm"
	NSData     = "jabber:x:data"
)

// Defaults for zero Limits fields and page sizes.
const (
	DefaultMaxItems = 1000
	DefaultMaxBytes = 4 << 20
	DefaultPageSize = 20
	MaxPageSize     = 50
)

// Limits bound one archive.
type Limits struct {
	MaxItems  int
	MaxBytes  int64
	Retention time.Duration // 0 keeps messages until a count or byte bound drops them
}

func (l Limits) withDefaults() Limits {
	if l.MaxItems <= 0 {
		l.MaxItems = DefaultMaxItems
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	return l
}

// Entry is one archived message.
type Entry struct {
	// ID is the archive id, the XEP-0359 stanza-id the owner saw.
	ID string
	// With is the bare JID of the other party (for an account: the contact;
	// for a room: the sender's real bare JID if known), for the "with" filter.
	With string
	// Msg is the message to archive, owned by the archive from Append
	// on. The archive keeps it in its wire form (what a c2s stream
	// carries), which is what the byte bounds count and what it costs:
	// a tree would cost up to 24 times its wire size (many tiny
	// elements), kept for the archive's whole retention. So Msg is nil
	// in the entries of a Page; Message rebuilds the tree.
	Msg *xmlnode.Element
	// At is when it was archived.
	At   time.Time
	size int64
	// wire is Msg as AppendTo wrote it in jabber:client; from and to
	// are its addresses, for the full-JID "with" filter.
	wire, from, to string
}

// entryOverhead is what an entry costs beyond its strings: its place in
// the archive's slice. The byte bounds (and owners' totals, through
// Bytes) count it with the wire form, id, "with" and addresses, so that a flood of tiny messages, whose wire form is smaller than what
// holding it costs, stays within them in memory too: 1,000 messages of
// 100 bytes cost about twice their wire size.
const entryOverhead = int64(unsafe.Sizeof(Entry{}))

// nsClient is the namespace archived messages are written in.
const nsClient = "jabber:client"

// wireBufs holds the buffers Append serialises into before it keeps an
// exact-size copy; maxPooledWire bounds the ones it keeps.
var wireBufs = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

const maxPooledWire = 64 << 10

// Message returns the archived message, parsed from its wire form: a
// tree of the caller's own.
func (e *Entry) Message() (*xmlnode.Element, error) {
	if e.Msg != nil {
		return e.Msg.Copy(), nil
	}
	m, err := xmlnode.ParseIn(e.wire, nsClient)
	if err != nil {
		return nil, fmt.Errorf("archive: entry %s: %w", e.ID, err)
	}
	return m, nil
}

// Archive is one owner's messages, oldest first. It is not safe for
// concurrent use: its owner (the router's lock, a room's lock) guards it.
type Archive struct {
	lim     Limits
	entries []Entry
	bytes   int64
}

// New returns an empty archive with lim's bounds.
func New(lim Limits) *Archive { return &Archive{lim: lim.withDefaults()} }

// Append archives e (e.Msg in its wire form, see Entry), then drops the
// oldest entries while a bound is exceeded. A message larger than the
// whole byte bound is not archived; Append reports whether e was kept.
func (a *Archive) Append(e Entry) bool {
	buf := wireBufs.Get().(*[]byte)
	wire := e.Msg.AppendTo((*buf)[:0], nsClient)
	if cap(wire) <= maxPooledWire {
		*buf = wire[:0]
	}
	defer wireBufs.Put(buf)
	e.from, e.to = e.Msg.Attrib("from"), e.Msg.Attrib("to")
	e.size = int64(len(wire)+len(e.ID)+len(e.With)+len(e.from)+len(e.to)) + entryOverhead
	if e.size > a.lim.MaxBytes {
		return false
	}
	// One exact-size copy, the only allocation: the buffer is pooled.
	e.wire = string(wire)
	e.Msg = nil
	a.entries = append(a.entries, e)
	a.bytes += e.size
	drop := 0
	for len(a.entries)-drop > a.lim.MaxItems || a.bytes > a.lim.MaxBytes ||
		(a.lim.Retention > 0 && e.At.Sub(a.entries[drop].At) > a.lim.Retention) {
		a.bytes -= a.entries[drop].size
		drop++
	}
	if drop > 0 {
		a.entries = slices.Delete(a.entries, 0, drop)
	}
	return true
}

// Len returns the number of archived messages; Bytes what they cost
// against the byte bound (their wire size and entryOverhead, see Append).
func (a *Archive) Len() int     { return len(a.entries) }
func (a *Archive) Bytes() int64 { return a.bytes }

// Expire drops messages older than the retention at now; owners call it
// from time to time so that an archive nobody writes to still ages.
func (a *Archive) Expire(now time.Time) {
	if a.lim.Retention <= 0 {
		return
	}
	drop := 0
	for drop < len(a.entries) && now.Sub(a.entries[drop].At) > a.lim.Retention {
		a.bytes -= a.entries[drop].size
		drop++
	}
	a.entries = slices.Delete(a.entries, 0, drop)
}

// Query is what an archive query asks for: the form's filters and the page.
type Query struct {
	QueryID           string
	With              string    // bare or full JID; "" any
	Start, End        time.Time // zero: unbounded
	BeforeID, AfterID string
	IDs               []string // nil: any id
	Max               int      // page size
	Last              bool     // RSM <before/>: the last page of the window
	Flip              bool     // XEP-0313 flip-page: the page newest first
}

// Error is a refused query, as a stanza error.
type Error struct{ Type, Condition, Text string }

func (e *Error) Error() string { return "archive: " + e.Condition + ": " + e.Text }

// ErrNotFound is returned by Query for an unknown before or after id.
var ErrNotFound = &Error{Type: "modify", Condition: "item-not-found"}

// ParseQuery reads a <query xmlns='urn:xmpp:mam:2'/> element.
func ParseQuery(q *xmlnode.Element) (Query, error) {
	mq := Query{Max: DefaultPageSize, QueryID: q.Attrib("queryid")}
	if form := q.Child(NSData, "x"); form != nil {
		for _, f := range form.ChildrenNamed(NSData, "field") {
			vals := f.ChildrenNamed(NSData, "value")
			first := ""
			if len(vals) > 0 {
				first = vals[0].Text()
			}
			switch f.Attrib("var") {
			case "FORM_TYPE":
				if first != NS {
					return mq, &Error{"modify", "bad-request", "Unexpected FORM_TYPE, expected '" + NS + "'"}
				}
			case "with":
				mq.With = first
			case "start", "end":
				if first == "" {
					continue
				}
				t, err := time.Parse(time.RFC3339, first)
				if err != nil {
					return mq, &Error{"modify", "bad-request", "Invalid date-time: " + first}
				}
				if f.Attrib("var") == "start" {
					mq.Start = t
				} else {
					mq.End = t
				}
			case "before-id":
				mq.BeforeID = first
			case "after-id":
				mq.AfterID = first
			case "ids":
				mq.IDs = []string{}
				for _, v := range vals {
					mq.IDs = append(mq.IDs, v.Text())
				}
			}
		}
	}
	if set := q.Child(NSRSM, "set"); set != nil {
		if m := set.Child(NSRSM, "max"); m != nil {
			n, err := strconv.Atoi(m.Text())
			if err != nil || n < 0 {
				return mq, &Error{"modify", "bad-request", "Invalid RSM max"}
			}
			mq.Max = n
		}
		if a := set.Child(NSRSM, "after"); a != nil {
			mq.AfterID = a.Text()
		}
		if b := set.Child(NSRSM, "before"); b != nil {
			mq.Last = true
			if b.Text() != "" {
				mq.BeforeID = b.Text()
			}
		}
	}
	mq.Max = min(mq.Max, MaxPageSize)
	mq.Flip = q.Child(NS, "flip-page") != nil
	return mq, nil
}

// Page is the answer to a Query.
type Page struct {
	Query   Query
	Entries []Entry // oldest first
	// Count is the number of messages matching the filters; Complete says
	// the page is the last one in its direction.
	Count    int
	Complete bool
}

// Query runs q. match, when set, further filters entries (a room hides
// nothing, an account may hide what its preferences say); the With filter
// compares bare JIDs unless q.With is a full JID.
func (a *Archive) Query(q Query, match func(*Entry) bool) (Page, error) {
	var ids map[string]bool
	if q.IDs != nil {
		ids = make(map[string]bool, len(q.IDs))
		for _, id := range q.IDs {
			ids[id] = true
		}
	}
	var matching []Entry
	for i := range a.entries {
		e := &a.entries[i]
		if (!q.Start.IsZero() && e.At.Before(q.Start)) || (!q.End.IsZero() && e.At.After(q.End)) ||
			(ids != nil && !ids[e.ID]) || (q.With != "" && !withMatches(q.With, e)) || (match != nil && !match(e)) {
			continue
		}
		matching = append(matching, *e)
	}
	lo, hi := 0, len(matching)
	if q.AfterID != "" {
		i := indexOf(matching, q.AfterID)
		if i < 0 {
			return Page{}, ErrNotFound
		}
		lo = i + 1
	}
	if q.BeforeID != "" {
		i := indexOf(matching, q.BeforeID)
		if i < 0 {
			return Page{}, ErrNotFound
		}
		hi = i
	}
	lo = min(lo, hi)
	window := matching[lo:hi]
	p := Page{Query: q, Count: len(matching), Complete: len(window) <= q.Max}
	if q.Last {
		p.Entries = window[max(len(window)-q.Max, 0):]
	} else {
		p.Entries = window[:min(q.Max, len(window))]
	}
	return p, nil
}

// withMatches compares the "with" filter: a bare JID matches every message
// with that contact, a full JID only messages whose other party's full JID
// is the same (read from the message's from or to).
func withMatches(with string, e *Entry) bool {
	if with == e.With {
		return true
	}
	return e.from == with || e.to == with
}

func indexOf(es []Entry, id string) int {
	for i := range es {
		if es[i].ID == id {
			return i
		}
	}
	return -1
}

// Results returns the messages that carry p to the querier "to", from the
// archive's owner "from", in the order they are sent (flipped if asked).
// strip, when set, is applied to each forwarded copy (a room hides real
// JIDs from those who may not see them).
func (p *Page) Results(from, to string, strip func(*xmlnode.Element)) []*xmlnode.Element {
	order := slices.Clone(p.Entries)
	if p.Query.Flip {
		slices.Reverse(order)
	}
	out := make([]*xmlnode.Element, 0, len(order))
	for i := range order {
		e := &order[i]
		m := xmlnode.New("jabber:client", "message", "to", to)
		if from != "" {
			m.SetAttr("from", from)
		}
		res := m.AddChild(NS, "result", "queryid", p.Query.QueryID, "id", e.ID)
		if p.Query.QueryID == "" {
			res.RemoveAttr("queryid")
		}
		fwd := res.AddChild(NSForward, "forwarded")
		fwd.AddChild(NSDelay, "delay", "stamp", Stamp(e.At))
		item, err := e.Message()
		if err != nil {
			// What AppendTo wrote parses back (xmlnode's round
			// trip property): not reached, and an entry that
			// cannot be shown is left out rather than a panic.
			continue
		}
		if strip != nil {
			strip(item)
		}
		fwd.Append(item)
		out = append(out, m)
	}
	return out
}

// Fin returns the <fin/> payload of the query's iq result.
func (p *Page) Fin() *xmlnode.Element {
	fin := xmlnode.New(NS, "fin")
	if p.Complete {
		fin.SetAttr("complete", "true")
	}
	set := fin.AddChild(NSRSM, "set")
	if len(p.Entries) > 0 {
		set.AddChild(NSRSM, "first").SetText(p.Entries[0].ID)
		set.AddChild(NSRSM, "last").SetText(p.Entries[len(p.Entries)-1].ID)
	}
	set.AddChild(NSRSM, "count").SetText(strconv.Itoa(p.Count))
	return fin
}

// Metadata returns the XEP-0313 <metadata/> payload: the first and last
// archived message's id and time, or an empty element for an empty archive.
func (a *Archive) Metadata() *xmlnode.Element {
	md := xmlnode.New(NS, "metadata")
	if len(a.entries) > 0 {
		f, l := a.entries[0], a.entries[len(a.entries)-1]
		md.AddChild(NS, "start", "id", f.ID, "timestamp", Stamp(f.At))
		md.AddChild(NS, "end", "id", l.ID, "timestamp", Stamp(l.At))
	}
	return md
}

// Form returns the search form a query get answers with.
func Form() *xmlnode.Element {
	x := xmlnode.New(NSData, "x", "type", "form")
	x.AddChild(NSData, "field", "type", "hidden", "var", "FORM_TYPE").AddChild(NSData, "value").SetText(NS)
	x.AddChild(NSData, "field", "type", "jid-single", "var", "with")
	x.AddChild(NSData, "field", "type", "text-single", "var", "start").AddChild("http://jabber.org/protocol/xdata-validate", "validate", "datatype", "xs:dateTime")
	x.AddChild(NSData, "field", "type", "text-single", "var", "end").AddChild("http://jabber.org/protocol/xdata-validate", "validate", "datatype", "xs:dateTime")
	x.AddChild(NSData, "field", "type", "text-single", "var", "before-id")
	x.AddChild(NSData, "field", "type", "text-single", "var", "after-id")
	x.AddChild(NSData, "field", "type", "list-multi", "var", "ids")
	return x
}

// Stamp formats t as XEP-0082 DateTime in UTC to the second, as Prosody
// stamps archived messages.
func Stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }
