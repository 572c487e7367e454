package pep

import (
	"encoding/xml"

	"github.com/muctest/muctest/mod/avatar"
	"github.com/muctest/muctest/mod/bookmarks"
	"github.com/muctest/muctest/mod/private"
	"github.com/muctest/muctest/mod/vcard"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/pubsub"
	"github.com/muctest/muctest/xmlnode"
)

// The compatibility layers on PEP, as Prosody trunk's mod_bookmarks and
// mod_vcard_legacy: XEP-0048 bookmarks in XEP-0049 private XML (and in the
// legacy PEP node) are XEP-0402 bookmarks 2, and a vCard's PHOTO is the
// XEP-0084 avatar.

// registerCompat registers the owner's private XML and vCard handlers,
// which take precedence over mod/private's and mod/vcard's for the owner
// (ToSelf) and hand back what they do not convert.
func (st *state) registerCompat(r *module.Registrar) {
	privateFallback, admitVCard := private.Fallback(r), vcard.Admitter(r)
	r.IQ(module.IQ{To: module.ToSelf, Type: module.Get | module.Set,
		Payload: xml.Name{Space: bookmarks.NSPrivate, Local: "query"},
		Handle: func(q *module.Request) {
			els := q.Payload.Elements()
			if len(els) != 1 || els[0].Name.Space != bookmarks.NSLegacy || els[0].Name.Local != "storage" {
				privateFallback(q)
				return
			}
			defer st.env.use(q.Context)()
			acct, from := q.Account.JID().String(), q.From.String()
			svc := st.core.Service(acct)
			if q.IsGet() {
				storage, err := bookmarks.PrivateGet(svc, from)
				if err != nil {
					q.Reply(pubsub.ErrorReply(q.Stanza, err))
					return
				}
				res := q.Result()
				res.AddChild(bookmarks.NSPrivate, "query").Append(storage)
				q.Reply(res)
				return
			}
			out, err := bookmarks.Save(svc, from, els[0])
			ob := &outbox{c: q.Context}
			ob.send(out...)
			if err != nil {
				ob.send(pubsub.ErrorReply(q.Stanza, err))
				return
			}
			st.legacyBroadcast(ob, acct)
			ob.send(q.Result())
		}})
	r.IQ(module.IQ{To: module.ToSelf, Type: module.Get | module.Set,
		Payload: xml.Name{Space: avatar.NSVCard, Local: "vCard"},
		Handle: func(q *module.Request) {
			defer st.env.use(q.Context)()
			acct, from := q.Account.JID().String(), q.From.String()
			svc := st.core.Service(acct)
			if !q.IsGet() {
				if !admitVCard(q) {
					return
				}
				// The avatar's notifications go to every contact whose
				// caps want them: through an outbox, the result after.
				out, err := avatar.SaveVCard(svc, from, q.Payload)
				ob := &outbox{c: q.Context}
				ob.send(out...)
				if err != nil {
					ob.send(pubsub.ErrorReply(q.Stanza, err))
					return
				}
				vcard.Store(q.Account, q.Payload.Copy())
				ob.send(q.Result())
				return
			}
			// With the lock held only the lookups; the stored vCard is
			// parsed after unlocking (issue 11: ~5 ms at its quota).
			wire, photo := vcard.Lookup(q.Account)
			var photos []*xmlnode.Element // built here, the build's own
			if !photo {
				photos = avatar.VCardPhotos(svc, from)
			}
			res := q.Result()
			q.ReplyLater(func() *xmlnode.Element { return res.Append(withPhotos(wire, photos)) })
		}})
	// Anyone else's vCard get shows the PEP avatar too: answered here,
	// before mod/vcard, when the stored vCard has no PHOTO of its own and
	// the account has an avatar the asker may see.
	r.OnIQDelivered(1, func(c module.Context, ev *module.Delivered) bool {
		iq := ev.Stanza
		if iq.Attrib("type") != "get" || ev.To.Resourcepart() != "" {
			return false
		}
		q := iq.Child(avatar.NSVCard, "vCard")
		if q == nil || len(iq.Elements()) != 1 {
			return false
		}
		defer st.env.use(c)()
		wire, photo := vcard.Lookup(ev.Account)
		if photo {
			return false
		}
		a := st.core.existing(acctJID(ev.Account))
		if a == nil {
			return false
		}
		photos := avatar.VCardPhotos(a.svc, iq.Attrib("from"))
		if len(photos) == 0 {
			return false
		}
		res := pubsub.Reply(iq, nil)
		c.RouteLater(iq, func() *xmlnode.Element { return res.Append(withPhotos(wire, photos)) })
		return true
	})
	// XEP-0153: every available presence carries the PEP avatar's hash;
	// mod/vcard adds the empty marker after this when there is none.
	r.OnPresenceSent(module.Rewrite+2, func(c module.Context, ev *module.Sent) bool {
		if ev.Stanza.Attrib("type") != "" {
			return false
		}
		defer st.env.use(c)()
		a := st.core.existing(ev.Session.Account().JID().String())
		if a == nil {
			return false
		}
		if h := avatar.CurrentHash(a.svc); h != "" {
			ev.Stanza.RemoveChildren(avatar.NSUpdate, "x")
			ev.Stanza.Append(avatar.Update(h))
		}
		return false
	})
}

// withPhotos parses a stored vCard's wire form (vcard.Lookup; an empty
// vCard for "") and adds photos to it. It needs no lock: a RouteLater
// build calls it.
func withPhotos(wire string, photos []*xmlnode.Element) *xmlnode.Element {
	card := vcard.Parse(wire)
	if card == nil {
		card = xmlnode.New(avatar.NSVCard, "vCard")
	}
	for _, p := range photos {
		card.Append(p)
	}
	return card
}

// bookmarksIQ answers the owner's requests on the legacy PEP node
// storage:bookmarks from bookmarks 2, as mod_bookmarks does; it reports
// whether it did.
func (st *state) bookmarksIQ(q *module.Request) bool {
	if !q.Self {
		return false
	}
	var node, op string
	if els := q.Payload.Elements(); len(els) > 0 && els[0].Name.Space == pubsub.NS {
		node, op = els[0].Attrib("node"), els[0].Name.Local
	}
	if node != bookmarks.NSLegacy || q.Payload.Name.Space != pubsub.NS {
		return false
	}
	acct, from := q.Account.JID().String(), q.From.String()
	svc := st.core.Service(acct)
	switch {
	case q.IsGet() && op == "items":
		storage, err := bookmarks.LegacyPEP(svc, from)
		if err != nil {
			q.Reply(pubsub.ErrorReply(q.Stanza, err))
			return true
		}
		res := q.Result()
		res.AddChild(pubsub.NS, "pubsub").AddChild(pubsub.NS, "items", "node", bookmarks.NSLegacy).
			AddChild(pubsub.NS, "item", "id", "current").Append(storage)
		q.Reply(res)
		return true
	case !q.IsGet() && op == "publish":
		it := q.Payload.Child(pubsub.NS, "publish").Child(pubsub.NS, "item")
		var storage *xmlnode.Element
		if it != nil {
			storage = it.Child(bookmarks.NSLegacy, "storage")
		}
		if storage == nil {
			return false
		}
		out, err := bookmarks.Save(svc, from, storage)
		ob := &outbox{c: q.Context}
		ob.send(out...)
		if err != nil {
			ob.send(pubsub.ErrorReply(q.Stanza, err))
			return true
		}
		st.legacyBroadcast(ob, acct)
		ob.send(q.Result())
		return true
	}
	return false
}

// touchesBookmarks reports whether a pubsub request changes bookmarks 2.
func touchesBookmarks(payload *xmlnode.Element) bool {
	for _, c := range payload.Elements() {
		if c.Attrib("node") == bookmarks.NS {
			switch c.Name.Local {
			case "publish", "retract", "purge", "delete":
				return true
			}
		}
	}
	return false
}

// legacyBroadcast sends the XEP-0048-over-PEP event (the whole set as one
// <storage/>) to the owner's resources that +notify storage:bookmarks:
// only the owner's, bookmarks being private.
func (st *state) legacyBroadcast(ob *outbox, acct string) {
	a := st.core.existing(acct)
	if a == nil {
		return
	}
	var to []string
	for _, r := range st.core.interested(a, bookmarks.NSLegacy) {
		if bareOf(r) == acct {
			to = append(to, r)
		}
	}
	if len(to) == 0 {
		return
	}
	items, err := bookmarks.Items(a.svc, "")
	if err != nil {
		return
	}
	ev := bookmarks.LegacyEvent(items)
	for _, r := range to {
		m := xmlnode.New("jabber:client", "message", "from", acct, "to", r, "type", "headline")
		m.Append(ev.Copy())
		ob.send(m)
	}
}
