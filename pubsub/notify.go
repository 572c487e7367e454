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
	if s.cfg.Interested != nil && s.cfg.InterestedLater == nil {
		interested = s.cfg.Interested(n.name)
	}
	return s.recipientsOf(n, interested, true)
}

// recipientsOf is recipients for the interested entities given, with the
// subscribers first when subs is set; without, the subscribers are only
// left out of interested (they had theirs: NotifyInterested).
func (s *Service) recipientsOf(n *node, interested []string, subs bool) []string {
	out := make([]string, 0, len(n.subs)+len(interested))
	seen := make(map[string]bool, len(n.subs)+len(interested))
	for _, sub := range n.subs {
		if !seen[sub.jid] {
			seen[sub.jid] = true
			if subs {
				out = append(out, sub.jid)
			}
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
	var interested []string
	later := s.cfg.InterestedLater != nil && s.cfg.Interested != nil
	if later {
		interested = s.cfg.Interested(n.name)
	}
	if len(to) == 0 && len(interested) == 0 {
		return nil
	}
	m := s.message(n, ev).Freeze()
	if len(interested) > 0 && !s.cfg.InterestedLater(n.name, m, interested) {
		to = append(to, s.recipientsOf(n, interested, false)...)
	}
	return address(m, to)
}

// address returns a shallow copy of m for each recipient.
func address(m *xmlnode.Element, to []string) []*xmlnode.Element {
	if len(to) == 0 {
		return nil
	}
	out := make([]*xmlnode.Element, len(to))
	for i, j := range to {
		out[i] = m.ShallowCopy().SetAttr("to", j)
	}
	return out
}

// NotifyInterested addresses msg, a notification of node that
// ServiceConfig.InterestedLater was handed, to those of who (some of the
// interested entities it was handed, in order) that get it now: allowed
// to subscribe by the node's access model, and not subscribed (they had
// theirs with the operation). Nothing once the node is gone.
func (s *Service) NotifyInterested(node string, msg *xmlnode.Element, who []string) []*xmlnode.Element {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.nodes[node]
	if n == nil {
		return nil
	}
	return address(msg, s.recipientsOf(n, who, false))
}
