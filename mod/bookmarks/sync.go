package bookmarks

import (
	"errors"

	"github.com/muctest/muctest/pubsub"
	"github.com/muctest/muctest/xmlnode"
)

// Items returns the bookmarks 2 items of svc (an account's PEP service) as
// actor sees them, oldest first; none when the node does not exist.
func Items(svc *pubsub.Service, actor string) ([]*xmlnode.Element, error) {
	res, err := svc.Do(actor, &pubsub.Request{Op: pubsub.OpItems, Node: NS})
	if err != nil {
		var pe *pubsub.Error
		if errors.As(err, &pe) && pe.Condition == "item-not-found" {
			return nil, nil
		}
		return nil, err
	}
	return res.Payload.Expanded().Child(pubsub.NS, "items").ChildrenNamed(pubsub.NS, "item"), nil
}

// LegacyPEP answers a PEP items get of the legacy node storage:bookmarks
// from bookmarks 2: the legacy <storage/> of the account's bookmarks. An
// account without the bookmarks 2 node gets item-not-found, as from
// Prosody trunk's mod_bookmarks (a client reads it as "no bookmarks yet"
// and may publish); an existing node without items is an empty
// <storage/>. A XEP-0049 get (PrivateGet) answers both with an empty one.
func LegacyPEP(svc *pubsub.Service, actor string) (*xmlnode.Element, error) {
	res, err := svc.Do(actor, &pubsub.Request{Op: pubsub.OpItems, Node: NS})
	if err != nil {
		var pe *pubsub.Error
		if errors.As(err, &pe) && pe.Condition == "item-not-found" {
			return nil, &pubsub.Error{Type: "cancel", Condition: "item-not-found",
				Text: "Failed to retrieve bookmarks from PEP"}
		}
		return nil, err
	}
	return Legacy(res.Payload.Expanded().Child(pubsub.NS, "items").ChildrenNamed(pubsub.NS, "item")), nil
}

// PrivateGet answers a XEP-0049 get of storage:bookmarks from bookmarks 2:
// the legacy <storage/> of the account's PEP bookmarks.
func PrivateGet(svc *pubsub.Service, actor string) (*xmlnode.Element, error) {
	items, err := Items(svc, actor)
	if err != nil {
		return nil, err
	}
	return Legacy(items), nil
}

// Save makes the account's bookmarks 2 what a legacy client saved (a
// XEP-0049 set, or a publish to the legacy PEP node): the node is created
// with Options when missing; rooms that changed are published, rooms
// gone are retracted with notifications, and an empty <storage/> purges
// the node; of a list longer than the node keeps, only the last rooms
// are published. It returns the notifications to route, in order.
func Save(svc *pubsub.Service, actor string, storage *xmlnode.Element) ([]*xmlnode.Element, error) {
	entries := FromLegacy(storage)
	// The node keeps at most the service's item limit (Options' max_items
	// "max"): publishing the rooms before the last ones would only have
	// them dropped again, each publish costing a pass over the node, all
	// under the server's lock (attack bookmarks-legacy-flood: saves of
	// 1,500 rooms held the witness up to 1.8 s). The node ends as it
	// would have, holding the last rooms.
	if max := svc.ItemsLimit(); max > 0 && len(entries) > max {
		entries = entries[len(entries)-max:]
	}
	current, err := Items(svc, actor)
	if err != nil {
		return nil, err
	}
	var out []*xmlnode.Element
	if len(entries) == 0 {
		if len(current) == 0 {
			return nil, nil
		}
		res, err := svc.Do(actor, &pubsub.Request{Op: pubsub.OpPurge, Node: NS})
		if err != nil {
			return nil, err
		}
		return res.Before, nil
	}
	old := make(map[string]*xmlnode.Element, len(current))
	for _, it := range current {
		old[it.Attrib("id")] = it
	}
	for _, e := range entries {
		prev, had := old[e.JID]
		delete(old, e.JID)
		if had && Same(prev, e.Item) {
			continue
		}
		res, err := svc.Do(actor, &pubsub.Request{Op: pubsub.OpPublish, Node: NS,
			Items: []*xmlnode.Element{e.Item}, PublishOptions: Options()})
		if err != nil {
			return out, err
		}
		out = append(out, res.Before...)
	}
	for _, it := range current {
		id := it.Attrib("id")
		if _, gone := old[id]; !gone {
			continue
		}
		res, err := svc.Do(actor, &pubsub.Request{Op: pubsub.OpRetract, Node: NS, IDs: []string{id}, Notify: true})
		if err != nil {
			return out, err
		}
		out = append(out, res.Before...)
	}
	return out, nil
}

// LegacyEvent is the XEP-0048-over-PEP notification of the whole set, for
// legacy clients with storage:bookmarks+notify: <event><items
// node='storage:bookmarks'><item id='current'><storage/></item></items>.
func LegacyEvent(items []*xmlnode.Element) *xmlnode.Element {
	ev := xmlnode.New(pubsub.NSEvent, "event")
	it := ev.AddChild(pubsub.NSEvent, "items", "node", NSLegacy).AddChild(pubsub.NSEvent, "item", "id", "current")
	it.Append(Legacy(items))
	return ev
}
