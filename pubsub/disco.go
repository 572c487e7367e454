package pubsub

import "github.com/muctest/muctest/xmlnode"

// Features returns the pubsub disco#info features of the service
// (XEP-0060 10), the way Prosody derives them from what the service
// implements and how it is configured.
func (s *Service) Features() []string {
	f := make([]string, 0, len(baseFeatures)+4)
	f = append(f, NS, NS+"#access-"+s.cfg.Defaults.AccessModel)
	f = append(f, baseFeatures...)
	if s.cfg.AutocreateOnPublish {
		f = append(f, NS+"#auto-create")
	}
	if s.cfg.Defaults.SendLastPublishedItem != SendNever {
		f = append(f, NS+"#last-published")
	}
	return f
}

// baseFeatures are the features every service has, with NS+"#" before
// them, made once rather than by every server at start.
var baseFeatures = func() []string {
	names := []string{"config-node", "config-node-max", "create-and-configure",
		"create-nodes", "delete-items", "delete-nodes", "instant-nodes", "item-ids", "meta-data",
		"modify-affiliations", "multi-items", "outcast-affiliation", "member-affiliation",
		"persistent-items", "publish", "publish-options", "publisher-affiliation", "purge-nodes",
		"retract-items", "retrieve-affiliations", "retrieve-default", "retrieve-items",
		"retrieve-subscriptions", "subscribe", "subscription-options"}
	f := make([]string, len(names))
	for i, n := range names {
		f[i] = NS + "#" + n
	}
	return f
}()

// DiscoItems returns the <item/>s of a disco#items query on the service:
// one per node actor may see, named by its title when it has one.
func (s *Service) DiscoItems(actor string) []*xmlnode.Element {
	names := s.Nodes(actor)
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*xmlnode.Element, 0, len(names))
	for _, name := range names {
		n := s.nodes[name]
		if n == nil {
			continue
		}
		it := xmlnode.New(nsDiscoItems, "item", "jid", s.cfg.JID, "node", name)
		if n.cfg.Title != "" {
			it.SetAttr("name", n.cfg.Title)
		}
		out = append(out, it)
	}
	return out
}

// DiscoInfoNode returns the children of a disco#info reply about node:
// the leaf identity and the meta-data form (XEP-0060 5.4).
func (s *Service) DiscoInfoNode(actor, nodeName string) ([]*xmlnode.Element, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.nodes[nodeName]
	if !s.may(n, nodeName, actor, actGetMetadata) {
		return nil, errForbidden()
	}
	if n == nil {
		return nil, errItemNotFound()
	}
	id := xmlnode.New(nsDiscoInfo, "identity", "category", "pubsub", "type", "leaf")
	x := xmlnode.New(nsData, "x", "type", "result")
	formTypeField(x, NSMeta)
	meta := []struct{ v, val string }{
		{"pubsub#title", n.cfg.Title}, {"pubsub#description", n.cfg.Description},
		{"pubsub#type", n.cfg.PayloadType}, {"pubsub#access_model", n.cfg.AccessModel},
		{"pubsub#publish_model", n.cfg.PublishModel},
	}
	for _, m := range meta {
		if m.val == "" {
			continue
		}
		addValue(x.AddChild(nsData, "field", "var", m.v, "type", "text-single"), m.val)
	}
	return []*xmlnode.Element{id, x}, nil
}

// DiscoItemsNode returns the <item/>s of a disco#items query on node: one
// per item, named by its id (XEP-0060 5.5).
func (s *Service) DiscoItemsNode(actor, nodeName string) ([]*xmlnode.Element, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.nodes[nodeName]
	if n == nil {
		return nil, errItemNotFound()
	}
	if !s.may(n, nodeName, actor, actGetItems) {
		return nil, errForbidden()
	}
	out := make([]*xmlnode.Element, 0, len(n.items))
	for _, it := range n.items {
		out = append(out, xmlnode.New(nsDiscoItems, "item", "jid", s.cfg.JID, "name", it.id))
	}
	return out, nil
}
