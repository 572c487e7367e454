package blocking

import (
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/stanzaerr"
	"github.com/muctest/muctest/xmlnode"
)

// pushSpanItems bounds the work of the pushes delivered in one span of the
// router's lock: the items they carry, summed over their recipients (at
// least one push per span, whatever its size). A change of 1,000 items
// pushed to an account's 100 resources (quota.DefaultBlocklistItems and
// DefaultResources) held the lock 13 ms in one span, each session's Conn
// copying or writing out its own 1,000 items (a test's Conn copies the
// tree, a c2s one copies the push's frozen bytes); in spans of 1,024
// items such a push goes to one session per span, and a change of a few
// items still goes to every session in the request's own span, as
// before.
const pushSpanItems = 1024

// pendingPush is one change's push (XEP-0191 sections 3.3 and 3.4), with
// the sessions it has yet to reach, in bind order.
type pendingPush struct {
	st    *xmlnode.Element // the push iq without its "to", frozen (pushIQ)
	to    []module.Session
	items int // what one recipient costs in pushSpanItems (at least 1)
}

// pushIQ returns the push of the change, the iq around push(verb) with
// its serialisation made once (xmlnode.Freeze), so that each recipient's
// copy encodes only its own start tag ("to") around the shared bytes. It
// is built on first use (before the router's lock, by prepareItems) and
// never changed afterwards.
func (p *preparedItems) pushIQ(verb string) *xmlnode.Element {
	if p.pushTemplate == nil {
		p.pushTemplate = xmlnode.New(stanzaerr.NSClient, "iq", "type", "set", "id", "blocklist-push").
			Append(p.push(verb)).Freeze()
	}
	return p.pushTemplate
}

// queuePush pushes st, a change of l of n items, to every session of a
// that fetched the blocklist: within pushSpanItems in the request's own
// span, the rest in spans of their own after it (module.Context.Later),
// so that no span is long. Pushes are queued on the account and always
// delivered oldest first, whichever request's span delivers them, so
// that every session sees the changes in the order they were made (a
// block from one resource and an unblock of the same JID from another
// must not reach a third one the other way round). They follow the
// request's result, which is routed before (the requester's own push
// comes after its result, as Prosody sends them).
func queuePush(c module.Context, a module.Account, l *list, st *xmlnode.Element, n int) {
	var to []module.Session
	for o := range a.Sessions() {
		if fetched.Get(o) != nil {
			to = append(to, o)
		}
	}
	if len(to) == 0 {
		return
	}
	l.pushes = append(l.pushes, pendingPush{st: st, to: to, items: max(n, 1)})
	pushSome(c, a, l)
}

// pushSome delivers the oldest queued pushes, up to pushSpanItems, and
// leaves the rest to a span of its own, which goes on in the same way.
// Other stanzas may be routed before that span runs: it looks the list
// up again, and a session that went away in between gets nothing (the
// router drops what is sent to it).
func pushSome(c module.Context, a module.Account, l *list) {
	spent := 0
	for len(l.pushes) > 0 {
		p := &l.pushes[0]
		for len(p.to) > 0 {
			if spent > 0 && spent+p.items > pushSpanItems {
				c.Later(func(c module.Context) {
					if l := lists.Get(a); l != nil {
						pushSome(c, a, l)
					}
				})
				return
			}
			o := p.to[0]
			p.to[0] = nil
			p.to = p.to[1:]
			o.Send(p.st.ShallowCopy().SetAttr("to", o.JID().String()))
			spent += p.items
		}
		l.pushes[0] = pendingPush{}
		l.pushes = l.pushes[1:]
	}
	l.pushes = nil
}
