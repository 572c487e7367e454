package pubsub

import (
	"slices"

	"github.com/muctest/muctest/xmlnode"
)

// Result is what a request produced, for the caller to route in order:
// Before (notifications the request caused, which Prosody sends before
// the reply), the reply carrying Payload (nil for an empty result), then
// After (the last item a new subscriber is sent). The payloads of
// stored items, in Payload's items and in notifications, are xmlnode.Raw
// nodes: Expanded parses them for code that reads them.
type Result struct {
	Payload *xmlnode.Element
	Before  []*xmlnode.Element
	After   []*xmlnode.Element
	// Events are the changes the request made, for modules that mirror
	// a node elsewhere (bookmarks to private XML, avatars to vCard).
	Events []Event
}

// Event is one change to a node.
type Event struct {
	Kind  string // "items", "retract", "purge", "delete", "create"
	Node  string
	Actor string // who caused it ("" for the service)
	// Items are the published items (<item/> in the pubsub namespace,
	// publisher set; their payload is an xmlnode.Raw, the form the
	// service keeps it in, which Expanded parses); IDs the retracted
	// ones.
	Items []*xmlnode.Element
	IDs   []string
}

// Do applies r for actor, the full JID the request came from ("" for the
// service itself, which may do anything). Failures are *Error.
func (s *Service) Do(actor string, r *Request) (*Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.Op {
	case OpItems:
		return s.items(actor, r)
	case OpPublish:
		return s.publish(actor, r)
	case OpRetract:
		return s.retract(actor, r)
	case OpSubscribe:
		return s.subscribe(actor, r)
	case OpUnsubscribe:
		return s.unsubscribe(actor, r)
	case OpSubscriptions:
		return s.subscriptions(actor, r)
	case OpAffiliations:
		return s.affiliations(actor, r)
	case OpOptions, OpSetOptions:
		return s.options(actor, r)
	case OpCreate:
		return s.create(actor, r)
	case OpConfigure:
		return s.configure(actor, r)
	case OpSetConfigure:
		return s.setConfigure(actor, r)
	case OpDefault:
		return s.defaults(), nil
	case OpDelete:
		return s.delete(actor, r)
	case OpPurge:
		return s.purge(actor, r)
	case OpOwnerSubscriptions:
		return s.ownerSubscriptions(actor, r)
	case OpSetOwnerSubscriptions:
		return s.setOwnerSubscriptions(actor, r)
	case OpOwnerAffiliations:
		return s.ownerAffiliations(actor, r)
	case OpSetOwnerAffiliations:
		return s.setOwnerAffiliations(actor, r)
	}
	return nil, errUnsupported(r.Op.String())
}

func pubsubPayload(ns string) *xmlnode.Element { return xmlnode.New(ns, "pubsub") }

func (s *Service) create(actor string, r *Request) (*Result, error) {
	if !s.may(s.nodes[r.Node], r.Node, actor, actCreate) {
		return nil, errForbidden()
	}
	if r.Node != "" && s.nodes[r.Node] != nil {
		return nil, errConflict()
	}
	if q := s.cfg.Quotas.MaxNodes; q > 0 && len(s.nodes) >= q {
		return nil, errMaxNodes()
	}
	cfg := s.cfg.Defaults.clone()
	if r.Config != nil {
		cv, err := readConfig(r.Config, s.cfg.MaxItemsLimit)
		if err != nil {
			return nil, err
		}
		cfg = cv.apply(cfg)
	}
	if err := s.checkConfig(cfg); err != nil {
		return nil, err
	}
	res := &Result{}
	name := r.Node
	if name == "" {
		for name == "" || s.nodes[name] != nil {
			name = s.cfg.NewID()
		}
		res.Payload = pubsubPayload(NS)
		res.Payload.AddChild(NS, "create", "node", name)
	}
	n := s.addNode(name, cfg)
	if actor != "" {
		n.setAffiliation(bare(actor), Owner)
	}
	res.Events = append(res.Events, Event{Kind: "create", Node: name, Actor: actor})
	return res, nil
}

func (s *Service) addNode(name string, cfg NodeConfig) *node {
	n := newNode(name, cfg)
	s.nodes[name] = n
	s.order = append(s.order, name)
	return n
}

func (s *Service) removeNode(n *node) {
	delete(s.nodes, n.name)
	s.order = slices.DeleteFunc(s.order, func(x string) bool { return x == n.name })
	s.addBytes(-n.bytes)
	for _, sub := range n.subs {
		s.uncountSub(sub.jid)
	}
}

func (s *Service) uncountSub(j string) {
	b := bare(j)
	if s.subsByBare[b] <= 1 {
		delete(s.subsByBare, b)
	} else {
		s.subsByBare[b]--
	}
}

// mayPublish is may(publish) widened by the node's publish model.
func (s *Service) mayPublish(n *node, name, actor string) bool {
	if s.may(n, name, actor, actPublish) {
		return true
	}
	if n == nil {
		return false
	}
	switch n.cfg.PublishModel {
	case "open":
		return true
	case "subscribers":
		_, ok := n.subscriptionOf(actor)
		return ok
	}
	return false
}

func (s *Service) publish(actor string, r *Request) (*Result, error) {
	if r.Node == "" {
		return nil, errNodeIDRequired()
	}
	n := s.nodes[r.Node]
	if !s.mayPublish(n, r.Node, actor) {
		return nil, errForbidden()
	}
	var required configValues
	if r.PublishOptions != nil {
		var err error
		if required, err = readConfig(r.PublishOptions, s.cfg.MaxItemsLimit); err != nil {
			return nil, err
		}
	}
	if n != nil && required != nil && !r.OptionsAsDefaults {
		if f := required.mismatch(n.cfg); f != "" {
			return nil, errPrecondition(f)
		}
	}
	// Check the items before anything changes.
	if len(r.Items) == 0 {
		return nil, errItemRequired()
	}
	publisher := bare(actor)
	items := make([]*item, 0, len(r.Items))
	for _, in := range r.Items {
		payload := onlyElement(in)
		if payload == nil {
			return nil, errInvalidItem()
		}
		id := in.Attrib("id")
		if id == "" {
			id = s.cfg.NewID()
		}
		it := &item{id: id, publisher: publisher, payload: xmlnode.RawElement(payload)}
		it.size = it.wireSize()
		if q := s.cfg.Quotas.MaxItemBytes; q > 0 && it.size > q {
			return nil, errPayloadTooBig()
		}
		items = append(items, it)
	}
	var res Result
	if n == nil {
		if !s.cfg.AutocreateOnPublish {
			return nil, errItemNotFound()
		}
		if q := s.cfg.Quotas.MaxNodes; q > 0 && len(s.nodes) >= q {
			return nil, errMaxNodes()
		}
		cfg := required.apply(s.cfg.Defaults)
		if err := s.checkConfig(cfg); err != nil {
			return nil, err
		}
		n = s.addNode(r.Node, cfg)
		res.Events = append(res.Events, Event{Kind: "create", Node: r.Node})
	}
	if n.cfg.PersistItems {
		if err := s.store(n, items); err != nil {
			return nil, err
		}
	}
	els := make([]*xmlnode.Element, len(items))
	for i, it := range items {
		els[i] = it.element(true)
	}
	res.Events = append(res.Events, Event{Kind: "items", Node: n.name, Actor: actor, Items: els})
	if n.cfg.DeliverNotifications {
		res.Before = s.broadcast(n, s.itemsEvent(n, items))
	}
	res.Payload = pubsubPayload(NS)
	pub := res.Payload.AddChild(NS, "publish", "node", n.name)
	for _, it := range items {
		pub.AddChild(NS, "item", "id", it.id)
	}
	return &res, nil
}

// onlyElement returns the single element child of an item, nil when it
// has none or several (Prosody's is_item_stanza).
func onlyElement(it *xmlnode.Element) *xmlnode.Element {
	var found *xmlnode.Element
	for _, c := range it.Elements() {
		if found != nil {
			return nil
		}
		found = c
	}
	return found
}

// store adds items to n (an id already there is replaced, and moves to
// the newest place), keeps the newest max_items, and refuses the lot when
// the node's or the service's byte quota would be exceeded.
func (s *Service) store(n *node, items []*item) error {
	next := slices.Clone(n.items)
	for _, it := range items {
		next = slices.DeleteFunc(next, func(old *item) bool { return old.id == it.id })
		next = append(next, it)
	}
	if max := s.maxItems(n.cfg); len(next) > max {
		next = next[len(next)-max:]
	}
	bytes := 0
	for _, it := range next {
		bytes += it.size
	}
	if q := s.cfg.Quotas.MaxNodeBytes; q > 0 && bytes > q {
		return errStorageFull("node storage quota exceeded")
	}
	if q := s.cfg.Quotas.MaxServiceBytes; q > 0 && s.bytes-n.bytes+bytes > q {
		return errStorageFull("storage quota exceeded")
	}
	if !s.cfg.Quotas.Pool.fits(bytes - n.bytes) {
		return errStorageFull("storage quota exceeded")
	}
	s.addBytes(bytes - n.bytes)
	n.items, n.bytes = next, bytes
	return nil
}

func (s *Service) retract(actor string, r *Request) (*Result, error) {
	if r.Node == "" {
		return nil, errNodeIDRequired()
	}
	if len(r.IDs) == 0 {
		return nil, errItemNotFound()
	}
	n := s.nodes[r.Node]
	if !s.may(n, r.Node, actor, actRetract) {
		return nil, errForbidden()
	}
	if n == nil {
		return nil, errItemNotFound()
	}
	if n.cfg.PersistItems {
		for _, id := range r.IDs {
			if n.item(id) == nil {
				return nil, errItemNotFound()
			}
		}
		for _, id := range r.IDs {
			s.addBytes(-n.removeItem(id).size)
		}
	}
	res := &Result{Events: []Event{{Kind: "retract", Node: n.name, Actor: actor, IDs: slices.Clone(r.IDs)}}}
	if r.Notify && n.cfg.NotifyRetract {
		ev := xmlnode.New(NSEvent, "event")
		its := ev.AddChild(NSEvent, "items", "node", n.name)
		for _, id := range r.IDs {
			its.AddChild(NSEvent, "retract", "id", id)
		}
		res.Before = s.broadcast(n, ev)
	}
	return res, nil
}

func (s *Service) purge(actor string, r *Request) (*Result, error) {
	n, err := s.namedNode(actor, r, actRetract)
	if err != nil {
		return nil, err
	}
	s.addBytes(-n.clear())
	ev := xmlnode.New(NSEvent, "event")
	ev.AddChild(NSEvent, "purge", "node", n.name)
	return &Result{
		Before: s.broadcast(n, ev),
		Events: []Event{{Kind: "purge", Node: n.name, Actor: actor}},
	}, nil
}

func (s *Service) delete(actor string, r *Request) (*Result, error) {
	n, err := s.namedNode(actor, r, actDelete)
	if err != nil {
		return nil, err
	}
	res := &Result{Events: []Event{{Kind: "delete", Node: n.name, Actor: actor}}}
	if n.cfg.NotifyDelete {
		ev := xmlnode.New(NSEvent, "event")
		ev.AddChild(NSEvent, "delete", "node", n.name)
		res.Before = s.broadcast(n, ev)
	}
	s.removeNode(n)
	return res, nil
}

// subscribeCap returns the capability actor needs to act on j's
// subscription: its own (same bare JID) or someone else's.
func subscribeCap(actor, j string, self, other action) action {
	if actor == "" || bare(actor) == bare(j) {
		return self
	}
	return other
}

func (s *Service) subscribe(actor string, r *Request) (*Result, error) {
	if r.JID == "" || r.BadJID {
		return nil, errInvalidJID()
	}
	if r.Node == "" {
		return nil, errNodeIDRequired()
	}
	n := s.nodes[r.Node]
	if !s.may(n, r.Node, actor, subscribeCap(actor, r.JID, actSubscribe, actSubscribeOther)) ||
		!s.may(n, r.Node, r.JID, actBeSubscribed) {
		return nil, errForbidden()
	}
	if n == nil {
		return nil, errItemNotFound()
	}
	sub := subscription{jid: r.JID}
	if r.SubOptions != nil {
		var err error
		if sub.includeBody, err = readSubOptions(r.SubOptions, false); err != nil {
			return nil, err
		}
	}
	if _, ok := n.subscriptionOf(r.JID); !ok {
		if err := s.subQuota(r.JID); err != nil {
			return nil, err
		}
	}
	s.addSubscription(n, sub)
	res := &Result{Payload: pubsubPayload(NS)}
	res.Payload.AddChild(NS, "subscription", "node", n.name, "jid", r.JID, "subscription", "subscribed")
	if r.SubOptions != nil {
		res.Payload.Append(subOptionsElement(n.name, r.JID, sub.includeBody))
	}
	if n.cfg.SendLastPublishedItem != SendNever {
		res.After = s.lastItem(n, r.JID)
	}
	return res, nil
}

// addSubscription records sub on n, or updates its options, counting it
// against the subscriber's quota. The caller checked the quota.
func (s *Service) addSubscription(n *node, sub subscription) {
	for i := range n.subs {
		if n.subs[i].jid == sub.jid {
			n.subs[i] = sub
			return
		}
	}
	n.subs = append(n.subs, sub)
	s.subsByBare[bare(sub.jid)]++
}

func (s *Service) removeSubscription(n *node, j string) bool {
	for i := range n.subs {
		if n.subs[i].jid == j {
			n.subs = slices.Delete(n.subs, i, i+1)
			s.uncountSub(j)
			return true
		}
	}
	return false
}

// lastItem returns the notification of n's last item to j, if j may see
// it.
func (s *Service) lastItem(n *node, j string) []*xmlnode.Element {
	if !s.may(n, n.name, j, actGetItems) {
		return nil
	}
	it := n.last()
	if it == nil {
		return nil
	}
	msg := s.message(n, s.itemsEvent(n, []*item{it}))
	msg.SetAttr("to", j)
	return []*xmlnode.Element{msg}
}

func (s *Service) unsubscribe(actor string, r *Request) (*Result, error) {
	if r.JID == "" || r.BadJID {
		return nil, errInvalidJID()
	}
	if r.Node == "" {
		return nil, errNodeIDRequired()
	}
	n := s.nodes[r.Node]
	if !s.may(n, r.Node, actor, subscribeCap(actor, r.JID, actUnsubscribe, actUnsubscribeOther)) ||
		!s.may(n, r.Node, r.JID, actBeUnsubscribed) {
		return nil, errForbidden()
	}
	if n == nil {
		return nil, errItemNotFound()
	}
	if !s.removeSubscription(n, r.JID) {
		return nil, errNotSubscribed()
	}
	res := &Result{Payload: pubsubPayload(NS)}
	res.Payload.AddChild(NS, "subscription", "node", n.name, "jid", r.JID, "subscription", "none")
	return res, nil
}

// listed returns the nodes a subscriptions or affiliations request is
// about: the one it names (item-not-found if there is none), or all of
// them in creation order.
func (s *Service) listed(r *Request) ([]*node, error) {
	if r.Node != "" {
		n := s.nodes[r.Node]
		if n == nil {
			return nil, errItemNotFound()
		}
		return []*node{n}, nil
	}
	ns := make([]*node, 0, len(s.order))
	for _, name := range s.order {
		ns = append(ns, s.nodes[name])
	}
	return ns, nil
}

func (s *Service) subscriptions(actor string, r *Request) (*Result, error) {
	nodes, err := s.listed(r)
	if err != nil {
		return nil, err
	}
	b := bare(actor)
	res := &Result{Payload: pubsubPayload(NS)}
	list := res.Payload.AddChild(NS, "subscriptions")
	for _, n := range nodes {
		for _, sub := range n.subs {
			if bare(sub.jid) == b {
				list.AddChild(NS, "subscription", "node", n.name, "jid", sub.jid, "subscription", "subscribed")
			}
		}
	}
	return res, nil
}

func (s *Service) affiliations(actor string, r *Request) (*Result, error) {
	nodes, err := s.listed(r)
	if err != nil {
		return nil, err
	}
	b := bare(actor)
	res := &Result{Payload: pubsubPayload(NS)}
	list := res.Payload.AddChild(NS, "affiliations")
	for _, n := range nodes {
		a, ok := n.affs[b]
		if !ok {
			a = s.cfg.Affiliation(b, n.name, "")
		}
		if a != "" && a != None {
			list.AddChild(NS, "affiliation", "node", n.name, "affiliation", string(a))
		}
	}
	return res, nil
}

// readSubOptions reads the subscribe_options form: pubsub#include_body
// is the one option.
func readSubOptions(f *Form, current bool) (bool, error) {
	if f.FormType != "" && f.FormType != NSSubOpts {
		return false, errBadRequest("FORM_TYPE: unexpected " + f.FormType)
	}
	if !f.Has("pubsub#include_body") || len(f.Values["pubsub#include_body"]) == 0 {
		return current, nil
	}
	switch f.first("pubsub#include_body") {
	case "1", "true":
		return true, nil
	case "0", "false":
		return false, nil
	}
	return false, errBadRequest("pubsub#include_body: Invalid boolean representation:" + clip(f.first("pubsub#include_body"), 64))
}

func subOptionsElement(node, j string, includeBody bool) *xmlnode.Element {
	o := xmlnode.New(NS, "options", "node", node, "jid", j)
	x := o.AddChild(nsData, "x", "type", "form")
	formTypeField(x, NSSubOpts)
	fe := x.AddChild(nsData, "field", "var", "pubsub#include_body", "type", "boolean",
		"label", "Receive message body in addition to payload?")
	if includeBody {
		addValue(fe, "1")
	} else {
		addValue(fe, "0")
	}
	return o
}

func (s *Service) options(actor string, r *Request) (*Result, error) {
	if r.JID == "" || r.BadJID {
		return nil, errInvalidJID()
	}
	if r.Node == "" {
		return nil, errNodeIDRequired()
	}
	n := s.nodes[r.Node]
	if !s.may(n, r.Node, actor, subscribeCap(actor, r.JID, actGetSubscription, actGetSubscriptionOther)) {
		return nil, errForbidden()
	}
	if n == nil {
		return nil, errItemNotFound()
	}
	sub, ok := n.subscriptionOf(r.JID)
	if !ok {
		return nil, errNotSubscribed()
	}
	if r.Op == OpOptions {
		res := &Result{Payload: pubsubPayload(NS)}
		res.Payload.Append(subOptionsElement(n.name, r.JID, sub.includeBody))
		return res, nil
	}
	if !s.may(n, r.Node, actor, subscribeCap(actor, r.JID, actSubscribe, actSubscribeOther)) {
		return nil, errForbidden()
	}
	inc, err := readSubOptions(r.SubOptions, sub.includeBody)
	if err != nil {
		return nil, err
	}
	sub.includeBody = inc
	s.addSubscription(n, sub)
	return &Result{}, nil
}

func (s *Service) configure(actor string, r *Request) (*Result, error) {
	n, err := s.namedNode(actor, r, actGetConfiguration)
	if err != nil {
		return nil, err
	}
	res := &Result{Payload: pubsubPayload(NSOwner)}
	res.Payload.AddChild(NSOwner, "configure", "node", n.name).Append(ConfigForm(n.cfg, s.cfg.MaxItemsLimit))
	return res, nil
}

func (s *Service) setConfigure(actor string, r *Request) (*Result, error) {
	n, err := s.namedNode(actor, r, actConfigure)
	if err != nil {
		return nil, err
	}
	if r.Config.Type == "cancel" {
		return &Result{}, nil
	}
	cv, err := readConfig(r.Config, s.cfg.MaxItemsLimit)
	if err != nil {
		return nil, err
	}
	cfg := cv.apply(n.cfg)
	if err := s.checkConfig(cfg); err != nil {
		return nil, err
	}
	old := n.cfg
	n.cfg = cfg
	if old.AccessModel != cfg.AccessModel || !slices.Equal(old.RosterGroupsAllowed, cfg.RosterGroupsAllowed) {
		s.dropUnauthorised(n)
	}
	if !cfg.PersistItems {
		s.addBytes(-n.clear())
	} else {
		s.addBytes(-n.trim(s.maxItems(cfg)))
	}
	return &Result{}, nil
}

// dropUnauthorised removes the subscriptions the node's access model no
// longer allows.
func (s *Service) dropUnauthorised(n *node) {
	for i := 0; i < len(n.subs); {
		if !s.may(n, n.name, n.subs[i].jid, actBeSubscribed) {
			s.removeSubscription(n, n.subs[i].jid)
			continue
		}
		i++
	}
}

// namedNode is the common start of a request on one node: the node must
// be named (nodeid-required), the actor allowed act on it (forbidden, asked
// before existence so that a node's absence is not revealed to whoever may
// not act on it), and the node must exist (item-not-found).
func (s *Service) namedNode(actor string, r *Request, act action) (*node, error) {
	if r.Node == "" {
		return nil, errNodeIDRequired()
	}
	n := s.nodes[r.Node]
	if !s.may(n, r.Node, actor, act) {
		return nil, errForbidden()
	}
	if n == nil {
		return nil, errItemNotFound()
	}
	return n, nil
}

func (s *Service) defaults() *Result {
	res := &Result{Payload: pubsubPayload(NSOwner)}
	res.Payload.AddChild(NSOwner, "default").Append(ConfigForm(s.cfg.Defaults, s.cfg.MaxItemsLimit))
	return res
}

func (s *Service) ownerSubscriptions(actor string, r *Request) (*Result, error) {
	n, err := s.namedNode(actor, r, actGetSubscriptionsOther)
	if err != nil {
		return nil, err
	}
	res := &Result{Payload: pubsubPayload(NSOwner)}
	list := res.Payload.AddChild(NSOwner, "subscriptions", "node", n.name)
	for _, sub := range n.subs {
		list.AddChild(NSOwner, "subscription", "jid", sub.jid, "subscription", "subscribed")
	}
	return res, nil
}

func (s *Service) setOwnerSubscriptions(actor string, r *Request) (*Result, error) {
	n, err := s.namedNode(actor, r, actSubscribeOther)
	if err != nil {
		return nil, err
	}
	for _, e := range r.Entries {
		if e.Value == "none" {
			s.removeSubscription(n, e.JID)
			continue
		}
		if !s.may(n, n.name, e.JID, actBeSubscribed) {
			return nil, errForbidden()
		}
		if _, ok := n.subscriptionOf(e.JID); !ok {
			if err := s.subQuota(e.JID); err != nil {
				return nil, err
			}
			s.addSubscription(n, subscription{jid: e.JID})
		}
	}
	return &Result{}, nil
}

func (s *Service) subQuota(j string) error {
	if q := s.cfg.Quotas.MaxSubscriptions; q > 0 && s.subsByBare[bare(j)] >= q {
		return errTooManySubscriptions()
	}
	return nil
}

func (s *Service) ownerAffiliations(actor string, r *Request) (*Result, error) {
	n, err := s.namedNode(actor, r, actSetAffiliation)
	if err != nil {
		return nil, err
	}
	res := &Result{Payload: pubsubPayload(NSOwner)}
	list := res.Payload.AddChild(NSOwner, "affiliations", "node", n.name)
	for _, j := range n.affOrder {
		list.AddChild(NSOwner, "affiliation", "jid", j, "affiliation", string(n.affs[j]))
	}
	return res, nil
}

func (s *Service) setOwnerAffiliations(actor string, r *Request) (*Result, error) {
	n, err := s.namedNode(actor, r, actSetAffiliation)
	if err != nil {
		return nil, err
	}
	if q := MaxEntries; len(n.affs)+len(r.Entries) > 4*q {
		return nil, &Error{Type: "wait", Condition: "resource-constraint", Text: "too many affiliations"}
	}
	for _, e := range r.Entries {
		b := bare(e.JID)
		n.setAffiliation(b, Affiliation(e.Value))
		if Affiliation(e.Value) == Outcast {
			for i := 0; i < len(n.subs); {
				if bare(n.subs[i].jid) == b {
					s.removeSubscription(n, n.subs[i].jid)
					continue
				}
				i++
			}
		}
	}
	return &Result{}, nil
}

func (s *Service) items(actor string, r *Request) (*Result, error) {
	if r.Node == "" {
		return nil, errNodeIDRequired()
	}
	n := s.nodes[r.Node]
	if n == nil {
		return nil, errItemNotFound()
	}
	if !s.may(n, r.Node, actor, actGetItems) {
		return nil, errForbidden()
	}
	if !n.cfg.PersistItems {
		return nil, errPersistUnsupported()
	}
	var picked []*item
	if len(r.IDs) > 0 {
		for _, id := range r.IDs {
			if it := n.item(id); it != nil && !slices.Contains(picked, it) {
				picked = append(picked, it)
				if r.MaxItems > 0 && len(picked) == r.MaxItems {
					break
				}
			}
		}
	} else {
		picked = n.items
		if r.MaxItems > 0 && len(picked) > r.MaxItems {
			picked = picked[len(picked)-r.MaxItems:]
		}
	}
	res := &Result{Payload: pubsubPayload(NS)}
	list := res.Payload.AddChild(NS, "items", "node", n.name)
	expose := s.exposePublisher(n)
	for _, it := range picked {
		list.Append(it.element(expose))
	}
	return res, nil
}
