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
	// pushes are the changes not yet pushed to every session that
	// fetched the list, oldest first (push.go); not counted in bytes,
	// since they are gone by the end of the request that queued them.
	pushes []pendingPush
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
		Disco: module.OnServer, Handle: func(q *module.Request) { handle(q, lim) },
		Prepare: func(p *xmlnode.Element) any { return prepareItems(p, lim) }})
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
	// The items were parsed (PRECIS, microseconds each) before the
	// router's lock was taken (prepareItems, as IQ.Prepare); a request
	// that did not come that way is parsed here, stopping at the first
	// new item past the quota: the lock is held.
	p, _ := q.Prepared.(*preparedItems)
	if p == nil {
		p = prepareItems(q.Payload, lim)
	}
	if p.tooMany {
		q.Error(quota.FullType, quota.Full, "Blocklist is full")
		return
	}
	// Under the lock: only the quota, counted over the items not blocked
	// yet, in order, so that the first new item past it is what refuses
	// the request (a malformed item after it does not).
	l0 := lists.Get(q.Account)
	have, added := 0, 0
	if l0 != nil {
		have = len(l0.items)
	}
	for _, it := range p.items {
		isNew := it.err != nil || (it.first && (l0 == nil || !l0.has(it.norm)))
		if isNew && verb == "block" && !quota.Within(lim.BlocklistItems, have, added+1) {
			q.Error(quota.FullType, quota.Full, "Blocklist is full")
			return
		}
		if it.err != nil {
			q.Error(stanza.Modify, stanza.JIDMalformed, "")
			return
		}
		if isNew {
			added++
		}
	}
	items, parsed := p.order, p.byNorm
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
	queuePush(q.Context, a, l, p.pushIQ(verb), len(p.order))
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
	// jid.Parse's result without PRECIS for ASCII: this runs for every
	// stanza delivered to an account with a blocklist, lock held.
	from, err := jidcheck.ParseFast(st.Attrib("from"))
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

// preparedItems is a block or unblock request's items, parsed and
// normalised (prepareItems), and what the handler needs of them that does
// not depend on the blocklist.
type preparedItems struct {
	items []preparedItem
	// order is the items' normalised JIDs, each once, in request order,
	// byNorm the same JIDs parsed: what is blocked or unblocked, and
	// what the pushes name (an item already on the list is stored in its
	// normalised form, which parses to itself: jidcheck).
	order  []string
	byNorm map[string]jid.JID
	// pushPayload is the pushes' <block/> or <unblock/>, built once
	// (push), nil until then; pushTemplate the push iq around it, frozen
	// (pushIQ).
	pushPayload, pushTemplate *xmlnode.Element
	// tooMany: a block request naming more items than any blocklist may
	// hold, refused without parsing them.
	tooMany bool
}

type preparedItem struct {
	raw   string  // the jid attribute as sent
	j     jid.JID // raw parsed, when err is nil
	norm  string  // j.String()
	first bool    // the first item with this norm
	err   error
}

// push returns the payload of the pushes of the change (XEP-0191 section
// 3.3 and 3.4): the request's verb with its items, normalised, each once.
// It is built on first use and shared by every push.
func (p *preparedItems) push(verb string) *xmlnode.Element {
	if p.pushPayload == nil {
		p.pushPayload = xmlnode.New(NS, verb)
		for _, item := range p.order {
			p.pushPayload.AddChild(NS, "item", "jid", item)
		}
	}
	return p.pushPayload
}

// prepareItems parses the items of a block or unblock request (payload),
// the PRECIS work that dominated the worst case under the router's lock (a
// block of 1,000 new JIDs: 2.1 ms, 60% of it here), and builds the pushes'
// payload. It runs as IQ.Prepare, before the lock is taken; it reads only
// payload. A block naming more items than BlocklistItems is marked tooMany
// and not parsed: it could never fit. Items are parsed in order up to the
// first malformed one, which the handler answers jid-malformed (unless a
// new item before it already fails the quota).
func prepareItems(payload *xmlnode.Element, lim quota.Limits) *preparedItems {
	p := &preparedItems{}
	els := payload.ChildrenNamed(NS, "item")
	if payload.Name.Local == "block" && lim.BlocklistItems >= 0 && len(els) > lim.BlocklistItems {
		p.tooMany = true
		return p
	}
	p.items = make([]preparedItem, 0, len(els))
	p.byNorm = make(map[string]jid.JID, len(els))
	for _, it := range els {
		raw := it.Attrib("jid")
		j, err := jidcheck.Parse(raw)
		pi := preparedItem{raw: raw, j: j, err: err}
		if err != nil {
			p.items = append(p.items, pi)
			break
		}
		pi.norm = j.String()
		if _, dup := p.byNorm[pi.norm]; !dup {
			pi.first = true
			p.byNorm[pi.norm] = j
			p.order = append(p.order, pi.norm)
		}
		p.items = append(p.items, pi)
	}
	if len(p.items) == 0 || p.items[len(p.items)-1].err == nil {
		p.pushIQ(payload.Name.Local)
	}
	return p
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
