// Package blocking is XEP-0191 Blocking Command as Prosody serves it: an
// account's blocklist stops stanzas both ways. Stanzas a user sends to a
// blocked JID are refused with not-acceptable and the
// urn:xmpp:blocking:errors marker (presence silently dropped); stanzas
// from a blocked JID are dropped (presence), bounced service-unavailable
// from the bare JID (messages) or answered service-unavailable (iq
// requests). Blocking a contact who sees our presence sends them our
// unavailable, unblocking sends our presence again (section 3.4), and
// every session that fetched the blocklist gets a push of each change.
package blocking

import (
	"encoding/xml"

	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/muctest/muctest/jidcheck"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/quota"
	"github.com/muctest/muctest/stanzaerr"
	"github.com/muctest/muctest/xmlnode"
)

// Namespaces of XEP-0191.
const (
	NS       = "urn:xmpp:blocking"
	NSErrors = "urn:xmpp:blocking:errors"
)

// list is an account's blocklist, in the order items were added, and the
// same items as a set: a stanza's check is four map lookups, whatever the
// list's length.
type list struct {
	items []string
	set   map[string]jid.JID // parsed once, when blocked
	bytes int
}

// itemCost is what one item counts for: the item string (items and the
// set's key share it), the parsed JID in the set, which holds its own copy
// of the same bytes, and the map entry. Counting the string once let a
// full blocklist hold three times what the quota said (mucattack
// blocklist-growth).
func itemCost(item string) int { return 64 + 2*len(item) }

// Size implements module.Sizer.
func (l *list) Size() int { return l.bytes }

func (l *list) has(item string) bool {
	_, ok := l.set[item]
	return ok
}

func (l *list) add(item string, j jid.JID) {
	if l.set == nil {
		l.set = map[string]jid.JID{}
	}
	l.set[item] = j
	l.items = append(l.items, item)
	l.bytes += itemCost(item)
}

// requested marks a session that fetched the blocklist: it gets pushes.
type requested struct{}

var (
	lists    = module.NewAccountState[list]("blocking.list")
	fetched  = module.NewSessionState[requested]("blocking.requested")
	blocking = module.NewFlag() // set on accounts with a non-empty blocklist
)

// blocks reports whether a's blocklist covers j: an item matches the full
// JID, the bare JID, the domain, or domain/resource (XEP-0191 section 3.5).
func blocks(a module.Account, j jid.JID) bool {
	l := lists.Get(a)
	if l == nil || len(l.items) == 0 {
		return false
	}
	for _, item := range [...]string{j.String(), j.Bare().String(), j.Domain().String(), j.Domainpart() + "/" + j.Resourcepart()} {
		if l.has(item) {
			return true
		}
	}
	return false
}

// Module implements blocking. Limits (quota.Limits, defaults when zero)
// bound a blocklist's items (BlocklistItems) and the account's total
// (AccountBytes): a block request past them is refused
// resource-constraint (wait) and blocks nothing.
type Module struct{ Limits quota.Limits }

// Name implements module.Module.
func (Module) Name() string { return "blocking" }

// Register implements module.Module.
func (m Module) Register(r *module.Registrar) error {
	lim := m.Limits.WithDefaults()
	r.IQ(module.IQ{To: module.ToAccount, Type: module.Get | module.Set, Payload: xml.Name{Space: NS},
		Disco: module.OnServer, Handle: func(q *module.Request) { handle(q, lim) }})
	r.OnMessageSent(module.Filter, outbound)
	r.OnPresenceSent(module.Filter, outbound)
	r.OnIQSent(module.Filter, outbound)
	r.OnMessageDelivered(module.Filter, inbound)
	r.OnPresenceDelivered(module.Filter, inbound)
	r.OnIQDelivered(module.Filter, inbound)
	return nil
}

func handle(q *module.Request, lim quota.Limits) {
	if !q.Self || q.Session == nil {
		q.Error(stanza.Cancel, stanza.NotAllowed, "")
		return
	}
	verb := q.Payload.Name.Local
	switch {
	case q.IsGet() && verb == "blocklist":
		fetched.Use(q.Session)
		res := q.Result()
		l := res.AddChild(NS, "blocklist")
		if bl := lists.Get(q.Account); bl != nil {
			for _, item := range bl.items {
				l.AddChild(NS, "item", "jid", item)
			}
		}
		q.Reply(res)
	case !q.IsGet() && (verb == "block" || verb == "unblock"):
		change(q, verb, lim)
	default:
		q.Error(stanza.Modify, stanza.BadRequest, "")
	}
}

// change blocks or unblocks the request's items (every item when an
// unblock names none).
func change(q *module.Request, verb string, lim quota.Limits) {
	// Items are parsed (PRECIS, microseconds each) only when not blocked
	// already in their stored, normalised form, and a block request stops
	// at the first new item past the quota: the router's lock is held.
	var items []string
	parsed := map[string]jid.JID{}
	l0 := lists.Get(q.Account)
	have, added := 0, 0
	if l0 != nil {
		have = len(l0.items)
	}
	for _, it := range q.Payload.ChildrenNamed(NS, "item") {
		raw := it.Attrib("jid")
		if l0 != nil && l0.has(raw) {
			if _, dup := parsed[raw]; !dup {
				parsed[raw] = l0.set[raw]
				items = append(items, raw)
			}
			continue
		}
		if verb == "block" && !quota.Within(lim.BlocklistItems, have, added+1) {
			q.Error(quota.FullType, quota.Full, "Blocklist is full")
			return
		}
		j, err := jidcheck.Parse(raw)
		if err != nil {
			q.Error(stanza.Modify, stanza.JIDMalformed, "")
			return
		}
		if _, dup := parsed[j.String()]; !dup {
			parsed[j.String()] = j
			items = append(items, j.String())
			if l0 == nil || !l0.has(j.String()) {
				added++
			}
		}
	}
	a := q.Account
	if verb == "block" && len(items) == 0 {
		q.Error(stanza.Modify, stanza.BadRequest, "")
		return
	}
	if verb == "block" && !fits(a, items, lim) {
		q.Error(quota.FullType, quota.Full, "Blocklist is full")
		return
	}
	q.Reply(q.Result())
	l := lists.Use(a)
	if verb == "block" {
		for _, item := range items {
			if l.has(item) {
				continue
			}
			cj := parsed[item]
			l.add(item, cj)
			// Contacts that saw our presence now see us go offline.
			if q.MaySeePresence(a, cj) {
				q.SendPresenceOf(a, cj, xmlnode.New(stanzaerr.NSClient, "presence", "type", "unavailable"))
			}
		}
	} else {
		var unblocked []jid.JID
		var kept []string
		for _, b := range l.items {
			if _, named := parsed[b]; len(items) == 0 || named {
				unblocked = append(unblocked, l.set[b])
				delete(l.set, b)
				l.bytes -= itemCost(b)
			} else {
				kept = append(kept, b)
			}
		}
		l.items = kept
		// Section 3.4: contacts allowed to see our presence get it again
		// (the mirror of the unavailable sent on block).
		for _, cj := range unblocked {
			if q.MaySeePresence(a, cj) && !blocks(a, cj) {
				q.SendPresenceOf(a, cj, nil)
			}
		}
	}
	a.SetFlag(blocking, len(l.items) > 0)
	for o := range a.Sessions() {
		if fetched.Get(o) == nil {
			continue
		}
		push := xmlnode.New(stanzaerr.NSClient, "iq", "type", "set", "id", "blocklist-push", "to", o.JID().String())
		p := push.AddChild(NS, verb)
		for _, item := range items {
			p.AddChild(NS, "item", "jid", item)
		}
		o.Send(push)
	}
}

// outbound stops a stanza a session sends to a JID its account blocks:
// messages and iq requests get not-acceptable with the blocking marker,
// presence is dropped.
func outbound(c module.Context, ev *module.Sent) bool {
	if ev.To.Domainpart() == "" || !blocks(ev.Session.Account(), ev.To) {
		return false
	}
	st := ev.Stanza
	typ := st.Attrib("type")
	if st.Name.Local == "presence" || typ == "error" || typ == "result" {
		return true
	}
	r := stanzaerr.Reply(st, string(stanza.Cancel), string(stanza.NotAcceptable), "You have blocked this JID", "")
	r.Child(stanzaerr.NSClient, "error").AddChild(NSErrors, "blocked")
	ev.Session.Send(r)
	return true
}

// inbound stops a stanza for a local user from a JID they block.
func inbound(c module.Context, ev *module.Delivered) bool {
	if lists.Get(ev.Account) == nil {
		return false
	}
	st := ev.Stanza
	from, err := jid.Parse(st.Attrib("from"))
	if err != nil || !blocks(ev.Account, from) {
		return false
	}
	switch st.Name.Local {
	case "message":
		r := st.Copy()
		r.SetAttr("to", ev.Account.JID().String())
		c.Bounce(r, stanza.Cancel, stanza.ServiceUnavailable, "")
	case "iq":
		if t := st.Attrib("type"); t == "get" || t == "set" {
			c.Bounce(st, stanza.Cancel, stanza.ServiceUnavailable, "")
		}
	}
	return true
}

// fits reports whether blocking items keeps a's blocklist within its
// quotas (items already blocked cost nothing).
func fits(a module.Account, items []string, lim quota.Limits) bool {
	l := lists.Get(a)
	have, added, grow := 0, 0, 0
	if l != nil {
		have = len(l.items)
	}
	for _, item := range items {
		if l == nil || !l.has(item) {
			added++
			grow += itemCost(item)
		}
	}
	return quota.Within(lim.BlocklistItems, have, added) && quota.Budget(a, lim.AccountBytes, grow)
}
