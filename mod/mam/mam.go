// Package mam is XEP-0313 Message Archive Management for accounts, with
// XEP-0359 stanza ids, as Prosody's mod_mam serves it: the one-to-one
// messages an account sends and receives are archived (package archive,
// the same store the MUC archives rooms in), and its owner queries the
// archive by time, contact and id, page by page with XEP-0059, flipped or
// not, and reads its <metadata/> (the extended features of MAM 0.7).
//
// What is archived follows the owner's preferences (<prefs/>: a default of
// always, never or roster, and lists of JIDs always or never archived,
// normalised as JIDs). With SmartEnable, Prosody's mam_smart_enable, an
// account's archive starts only once its owner has used MAM (a query or
// preferences), so that accounts whose clients never look pay nothing.
//
// Messages worth keeping are those of type chat or normal with a body or an
// encrypted payload (not errors, headlines or groupchat, which rooms keep),
// and not marked no-store (XEP-0334). Every incoming archived message gets
// a <stanza-id by='account'/> (XEP-0359) naming its archive id; a stanza-id
// claiming to be by the account that arrives with the message is removed
// first, so that nobody can forge one.
//
// Archives are bounded per account (Limits, in count and in wire bytes, the
// oldest dropped first) and in total (MaxTotalBytes: past it, new messages
// are not archived until old ones age out), and a query's page is at most
// archive.MaxPageSize messages.
package mam

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/xml"
	"maps"
	"slices"
	"time"

	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/muctest/muctest/archive"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/quota"
	"github.com/muctest/muctest/xmlnode"
)

// Namespaces beyond package archive's.
const (
	NSStanzaID = "urn:xmpp:sid:0"
	nsClient   = "jabber:client"
	nsHints    = "urn:xmpp:hints"
)

// DefaultMaxTotalBytes bounds all accounts' archives together.
const DefaultMaxTotalBytes = 256 << 20

// Module archives one-to-one messages; its Name is "mam".
type Module struct {
	// Default is the archiving default of accounts that have set no
	// preferences: "always" (the zero value), "never" or "roster".
	Default string
	// SmartEnable starts an account's archive only when its owner first
	// uses MAM, as Prosody's mam_smart_enable.
	SmartEnable bool
	// Limits bound each account's archive (archive's defaults when zero).
	Limits archive.Limits
	// MaxTotalBytes bounds every archive together; 0 means
	// DefaultMaxTotalBytes.
	MaxTotalBytes int64
	// AccountBytes is the account budget (quota.Limits.AccountBytes) the
	// preferences' JID lists count against, with the server's total when
	// it keeps one: 0 means quota.DefaultAccountBytes, negative no bound.
	AccountBytes int
	// Now is the clock, for tests; time.Now when nil.
	Now func() time.Time
}

// store is one account's archive and default preference (its JID lists
// are in prefs.go: they count against the account's budget, the archive
// does not).
type store struct {
	arch *archive.Archive
	def  string // the default the owner set, "" none
}

// Size implements module.Sizer: what the archive holds.
func (s *store) Size() int {
	n := 64
	if s.arch != nil {
		n += int(s.arch.Bytes())
	}
	return n
}

// Evicts implements quota.Evictor: the archive drops its oldest messages to
// stay within Limits, so it does not count against the account's budget.
func (s *store) Evicts() bool { return true }

var stores = module.NewAccountState[store]("mam")

// Name implements module.Module.
func (Module) Name() string { return "mam" }

type service struct {
	Module
	total int64 // wire bytes in every archive
}

// Register implements module.Module.
func (m Module) Register(r *module.Registrar) error {
	if m.Default == "" {
		m.Default = "always"
	}
	if m.MaxTotalBytes <= 0 {
		m.MaxTotalBytes = DefaultMaxTotalBytes
	}
	if m.Now == nil {
		m.Now = time.Now
	}
	if m.AccountBytes == 0 {
		m.AccountBytes = quota.DefaultAccountBytes
	}
	s := &service{Module: m}
	q := func(local string) xml.Name { return xml.Name{Space: archive.NS, Local: local} }
	r.IQ(module.IQ{To: module.ToSelf, Type: module.Get | module.Set, Payload: q("query"), Disco: module.OnAccount, Handle: s.query})
	r.IQ(module.IQ{To: module.ToSelf, Type: module.Get | module.Set, Payload: q("prefs"), Handle: s.prefs})
	r.IQ(module.IQ{To: module.ToSelf, Type: module.Get, Payload: q("metadata"), Handle: s.metadata})
	r.Feature(module.OnAccount, archive.NSExtended)
	r.Feature(module.OnAccount, NSStanzaID)
	r.OnMessageSent(10, s.sent)                     // before routing: the message as its sender sent it
	r.OnMessageDelivered(module.Rewrite, s.arrived) // before delivery: the stanza-id goes out with it
	return nil
}

// use returns the account's store, making it (and starting its archive)
// on first use.
func (s *service) use(a module.Account) *store {
	st := stores.Use(a)
	if st.arch == nil {
		st.arch = archive.New(s.Limits)
	}
	return st
}

// archiving returns the store that should keep a message between the
// account and with, or nil.
func (s *service) archiving(c module.Context, a module.Account, with jid.JID) *store {
	st := stores.Get(a)
	if st == nil {
		if s.SmartEnable {
			return nil
		}
		st = s.use(a)
	}
	if st.arch == nil {
		st.arch = archive.New(s.Limits)
	}
	if l := prefLists.Get(a); l != nil {
		bare, full := with.Bare().String(), with.String()
		switch {
		case l.never[full] || l.never[bare]:
			return nil
		case l.always[full] || l.always[bare]:
			return st
		}
	}
	def := st.def
	if def == "" {
		def = s.Default
	}
	switch def {
	case "always":
		return st
	case "roster":
		if c.MaySeePresence(a, with.Bare()) {
			return st
		}
	}
	return nil
}

// worthKeeping says whether a message belongs in an archive.
func worthKeeping(m *xmlnode.Element) bool {
	switch m.Attrib("type") {
	case "", "normal", "chat":
	default:
		return false
	}
	if m.Child(nsHints, "no-store") != nil || m.Child(nsHints, "no-permanent-store") != nil {
		return false
	}
	return m.Child(nsClient, "body") != nil || m.Child("eu.siacs.conversations.axolotl", "encrypted") != nil ||
		m.Child("urn:xmpp:openpgp:0", "openpgp") != nil || m.Child(nsHints, "store") != nil
}

func (s *service) sent(c module.Context, ev *module.Sent) bool {
	if ev.To.Domainpart() == "" || !worthKeeping(ev.Stanza) {
		return false
	}
	a := ev.Session.Account()
	st := s.archiving(c, a, ev.To)
	if st == nil {
		return false
	}
	msg := ev.Stanza.Copy()
	msg.RemoveChildren(NSStanzaID, "stanza-id")
	s.append(st, newID(), ev.To.Bare().String(), msg)
	return false
}

func (s *service) arrived(c module.Context, ev *module.Delivered) bool {
	m := ev.Stanza
	owner := ev.Account.JID().String()
	if !worthKeeping(m) {
		return false
	}
	from, err := jid.Parse(m.Attrib("from"))
	if err != nil {
		return false
	}
	st := s.archiving(c, ev.Account, from)
	if st == nil {
		return false
	}
	// Nobody but the server says what the account's archive id is.
	m.Children = slices.DeleteFunc(m.Children, func(n xmlnode.Node) bool {
		e, ok := n.(*xmlnode.Element)
		return ok && e.Name.Space == NSStanzaID && e.Name.Local == "stanza-id" && e.Attrib("by") == owner
	})
	id := newID()
	msg := m.Copy()
	msg.RemoveChildren(NSStanzaID, "stanza-id")
	if s.append(st, id, from.Bare().String(), msg) {
		m.AddChild(NSStanzaID, "stanza-id", "by", owner, "id", id)
	}
	return false
}

// append archives msg if the total bound allows, and keeps the total.
func (s *service) append(st *store, id, with string, msg *xmlnode.Element) bool {
	if msg.Attrib("xml:lang") == "" {
		if _, ok := msg.LookupAttr(xmlnode.XMLNamespace, "lang"); !ok {
			msg.SetAttrNS(xmlnode.XMLNamespace, "lang", "en")
		}
	}
	before := st.arch.Bytes()
	if s.total+int64(len(msg.AppendTo(nil, nsClient))) > s.MaxTotalBytes {
		return false
	}
	kept := st.arch.Append(archive.Entry{ID: id, With: with, Msg: msg, At: s.Now()})
	s.total += st.arch.Bytes() - before
	return kept
}

func (s *service) query(q *module.Request) {
	st := s.use(q.Account)
	if q.IsGet() {
		res := q.Result()
		res.AddChild(archive.NS, "query").Append(archive.Form())
		q.Reply(res)
		return
	}
	mq, err := archive.ParseQuery(q.Payload)
	if err != nil {
		replyErr(q, err)
		return
	}
	if mq.With != "" {
		j, err := jid.Parse(mq.With)
		if err != nil {
			q.Error(stanza.Modify, stanza.JIDMalformed, "")
			return
		}
		mq.With = j.String()
	}
	before := st.arch.Bytes()
	st.arch.Expire(s.Now())
	s.total += st.arch.Bytes() - before
	page, err := st.arch.Query(mq, nil)
	if err != nil {
		replyErr(q, err)
		return
	}
	for _, m := range page.Results(q.Stanza.Attrib("to"), q.Stanza.Attrib("from"), nil) {
		if q.Session != nil {
			q.Session.Send(m)
		} else {
			q.Route(m)
		}
	}
	res := q.Result()
	res.Append(page.Fin())
	q.Reply(res)
}

func replyErr(q *module.Request, err error) {
	if e, ok := err.(*archive.Error); ok {
		q.Error(stanza.ErrorType(e.Type), stanza.Condition(e.Condition), e.Text)
		return
	}
	q.Error(stanza.Wait, stanza.InternalServerError, "")
}

func (s *service) metadata(q *module.Request) {
	st := s.use(q.Account)
	res := q.Result()
	res.Append(st.arch.Metadata())
	q.Reply(res)
}

func (s *service) prefs(q *module.Request) {
	st := s.use(q.Account)
	if !q.IsGet() {
		def := q.Payload.Attrib("default")
		switch def {
		case "always", "never", "roster":
		default:
			q.Error(stanza.Modify, stanza.BadRequest, "Invalid default")
			return
		}
		always := jidList(q.Payload.Child(archive.NS, "always"))
		never := jidList(q.Payload.Child(archive.NS, "never"))
		if !s.setLists(q.Account, always, never) {
			q.Error(quota.FullType, quota.Full, "Account storage is full")
			return
		}
		st.def = def
	}
	def := st.def
	if def == "" {
		def = s.Default
	}
	var always, never map[string]bool
	if l := prefLists.Get(q.Account); l != nil {
		always, never = l.always, l.never
	}
	res := q.Result()
	p := res.AddChild(archive.NS, "prefs", "default", def)
	for _, l := range []struct {
		name string
		set  map[string]bool
	}{{"always", always}, {"never", never}} {
		e := p.AddChild(archive.NS, l.name)
		for _, j := range slices.Sorted(maps.Keys(l.set)) {
			e.AddChild(archive.NS, "jid").SetText(j)
		}
	}
	q.Reply(res)
}

// maxPrefsJIDs bounds each preference list, and how many <jid/> children
// of one are looked at (valid or not): the lists are parsed and echoed
// under the server's lock, so a flood of full lists from many accounts
// held it for everyone (mucattack mam-prefs-flood, 2 x 1,000 JIDs: the
// witness waited past a second). Clients set a handful.
const maxPrefsJIDs = 500

// jidList reads the <jid/> children of an <always/> or <never/>,
// normalised as JIDs (RFC 7622); what does not parse is left out, as
// Prosody does.
func jidList(e *xmlnode.Element) map[string]bool {
	set := map[string]bool{}
	if e == nil {
		return set
	}
	for i, j := range e.ChildrenNamed(archive.NS, "jid") {
		if i >= maxPrefsJIDs {
			break
		}
		p, err := jid.Parse(j.Text())
		if err != nil {
			continue
		}
		set[p.String()] = true
	}
	return set
}

// newID returns a fresh archive id: 96 random bits, URL-safe.
func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
