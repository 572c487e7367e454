package pubsub

import "github.com/muctest/muctest/xmlnode"

// Event notifications (XEP-0060 7.1.2, 7.2.2.1, 8.4.2, 8.5.2): one
// <message/> per recipient, built once and addressed by a shallow copy,
// so that a publish to many subscribers serialises its payload once.

// exposePublisher says whether items of n carry publisher= when notified
// or retrieved: always on a service that exposes publishers, else when
// the node's itemreply asks for it.
func (s *Service) exposePublisher(n *node) bool {
	return s.cfg.ExposePublisher || n.cfg.ItemReply == ItemReplyPublisher
}

// itemsEvent returns <event><items node><item/>...</items></event> for
// items of n, with or without payloads and publisher as n's configuration
// says.
func (s *Service) itemsEvent(n *node, items []*item) *xmlnode.Element {
	ev := xmlnode.New(NSEvent, "event")
	list := ev.AddChild(NSEvent, "items", "node", n.name)
	expose := s.exposePublisher(n)
	owner := ""
	if n.cfg.ItemReply == ItemReplyOwner && !s.cfg.ExposePublisher {
		owner = n.owner()
	}
	for _, it := range items {
		el := xmlnode.New(NSEvent, "item", "id", it.id)
		switch {
		case expose && it.publisher != "":
			el.SetAttr("publisher", it.publisher)
		case owner != "":
			el.SetAttr("publisher", owner)
		}
		if n.cfg.DeliverPayloads {
			el.Append(it.payload)
		}
		list.Append(el)
	}
	return ev
}

// owner returns the first owner of n by affiliation, "" when it has none
// of its own (a PEP node's owner is the account, the service's JID).
func (n *node) owner() string {
	for _, j := range n.affOrder {
		if n.affs[j] == Owner {
			return j
		}
	}
	return ""
}

// message wraps an event in the notification <message/> of n, without a
// recipient.
func (s *Service) message(n *node, ev *xmlnode.Element) *xmlnode.Element {
	typ := n.cfg.NotificationType
	if typ == "" {
		typ = "headline"
	}
	m := xmlnode.New(nsClient, "message", "from", s.cfg.JID, "type", typ, "id", s.cfg.NewID())
	m.Append(ev)
	return m
}

// recipients returns n's subscribers and then the interested entities
// allowed to subscribe, each once, in that order. It runs with the
// router's lock held for PEP (a publish to 1,000 +notify contacts), so an
// interested entity's right to subscribe is decided once per bare JID
// (what the access model looks at) unless the node affiliates the full
// JID itself, and the bare JID is parsed once for it.
func (s *Service) recipients(n *node) []string {
	var interested []string
	if s.cfg.Interested != nil {
		interested = s.cfg.Interested(n.name)
	}
	out := make([]string, 0, len(n.subs)+len(interested))
	seen := make(map[string]bool, len(n.subs)+len(interested))
	for _, sub := range n.subs {
		if !seen[sub.jid] {
			seen[sub.jid] = true
			out = append(out, sub.jid)
		}
	}
	var byBare map[string]bool // may subscribe, by bare JID
	for _, j := range interested {
		if seen[j] {
			continue
		}
		seen[j] = true
		if j == "" { // the service itself (may)
			out = append(out, j)
			continue
		}
		b := recipientBare(j)
		ok, known := byBare[b]
		if _, own := n.affs[j]; own || !known {
			ok = capabilities[s.affiliationOf(n, n.name, j, b, "")]&actSubscribe != 0
			if !own {
				if byBare == nil {
					byBare = make(map[string]bool, len(interested))
				}
				byBare[b] = ok
			}
		}
		if ok {
			out = append(out, j)
		}
	}
	return out
}

// broadcast returns the notification of ev to every recipient of n.
func (s *Service) broadcast(n *node, ev *xmlnode.Element) []*xmlnode.Element {
	to := s.recipients(n)
	if len(to) == 0 {
		return nil
	}
	m := s.message(n, ev).Freeze()
	out := make([]*xmlnode.Element, len(to))
	for i, j := range to {
		out[i] = m.ShallowCopy().SetAttr("to", j)
	}
	return out
}
