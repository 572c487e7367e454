package pubsub

import "github.com/muctest/muctest/xmlnode"

// HandleIQ answers an <iq/> with a <pubsub/> payload addressed to the
// service: it parses the request, applies it as the iq's sender and
// returns every stanza to route, in order: the notifications the request
// caused, the reply (a result or an error), then the last item a new
// subscriber is sent.
func (s *Service) HandleIQ(iq *xmlnode.Element) []*xmlnode.Element {
	r, err := ParseRequest(iq)
	if err != nil {
		return []*xmlnode.Element{ErrorReply(iq, err)}
	}
	res, err := s.Do(iq.Attrib("from"), r)
	if err != nil {
		return []*xmlnode.Element{ErrorReply(iq, err)}
	}
	out := make([]*xmlnode.Element, 0, len(res.Before)+1+len(res.After))
	out = append(out, res.Before...)
	out = append(out, Reply(iq, res.Payload))
	return append(out, res.After...)
}

// Reply returns the result answer to iq carrying payload (none when
// nil): from and to swapped, the same id.
func Reply(iq *xmlnode.Element, payload *xmlnode.Element) *xmlnode.Element {
	r := xmlnode.New(nsClient, "iq")
	if v := iq.Attrib("to"); v != "" {
		r.SetAttr("from", v)
	}
	if v := iq.Attrib("from"); v != "" {
		r.SetAttr("to", v)
	}
	if v := iq.Attrib("id"); v != "" {
		r.SetAttr("id", v)
	}
	r.SetAttr("type", "result")
	if payload != nil {
		r.Append(payload)
	}
	return r
}

// PresenceLastItem returns the notification of node's last item to the
// full JID to, for a contact that has just come online or just said
// (through entity capabilities) that it wants the node: sent only when
// the node's send_last_published_item is on_sub_and_presence and its
// access model lets to subscribe and see items (XEP-0163 4.3.2).
func (s *Service) PresenceLastItem(nodeName, to string) []*xmlnode.Element {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.nodes[nodeName]
	if n == nil || n.cfg.SendLastPublishedItem != SendOnSubAndPresence || !s.may(n, nodeName, to, actSubscribe) {
		return nil
	}
	return s.lastItem(n, to)
}

// Nodes returns the names of the nodes actor may see, in creation order.
func (s *Service) Nodes(actor string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.may(nil, "", actor, actGetNodes) && !s.ownsAny(actor) {
		return nil
	}
	out := make([]string, 0, len(s.order))
	for _, name := range s.order {
		if s.may(s.nodes[name], name, actor, actGetMetadata) {
			out = append(out, name)
		}
	}
	return out
}

// ownsAny reports whether actor has an affiliation with some node that
// lets it list nodes (a publisher on a service whose defaults shut out
// strangers).
func (s *Service) ownsAny(actor string) bool {
	b := bare(actor)
	for _, n := range s.nodes {
		if capabilities[n.affs[b]]&actGetNodes != 0 {
			return true
		}
	}
	return false
}

// Config returns node's configuration and whether the node exists.
func (s *Service) Config(nodeName string) (NodeConfig, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.nodes[nodeName]
	if n == nil {
		return NodeConfig{}, false
	}
	return n.cfg.clone(), true
}

// Bytes returns the wire size of every item the service holds, which
// quotas bound.
func (s *Service) Bytes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bytes
}

// DeleteAll deletes every node, as when the account of a PEP service is
// removed, and returns the delete notifications.
func (s *Service) DeleteAll() []*xmlnode.Element {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*xmlnode.Element
	for len(s.order) > 0 {
		res, err := s.delete("", &Request{Op: OpDelete, Node: s.order[0]})
		if err != nil {
			break
		}
		out = append(out, res.Before...)
	}
	return out
}
