package avatar

import (
	"errors"
	"sync"
	"weak"

	"github.com/muctest/muctest/pubsub"
	"github.com/muctest/muctest/xmlnode"
)

// options is the configuration of the avatar nodes a vCard creates: open,
// as XEP-0084 recommends and Prosody does; used only when the node is
// created, so a client's own choice for an existing node stands.
func options(maxItems string) *pubsub.Form {
	f := &pubsub.Form{Type: "submit", Values: map[string][]string{"pubsub#access_model": {pubsub.AccessOpen}}}
	if maxItems != "" {
		f.Values["pubsub#max_items"] = []string{maxItems}
	}
	return f
}

func items(svc *pubsub.Service, actor, node string) ([]*xmlnode.Element, error) {
	res, err := svc.Do(actor, &pubsub.Request{Op: pubsub.OpItems, Node: node})
	if err != nil {
		var pe *pubsub.Error
		if errors.As(err, &pe) && (pe.Condition == "item-not-found" || pe.Condition == "feature-not-implemented") {
			return nil, nil
		}
		return nil, err
	}
	return res.Payload.Expanded().Child(pubsub.NS, "items").ChildrenNamed(pubsub.NS, "item"), nil
}

// SaveVCard publishes the avatars of a vCard set by its owner (actor) to
// the owner's PEP service, data before metadata, after purging the old
// ones; a vCard without a PHOTO leaves the PEP avatar as it is. It
// returns the notifications to route.
func SaveVCard(svc *pubsub.Service, actor string, vcard *xmlnode.Element) ([]*xmlnode.Element, error) {
	avs := FromVCard(vcard)
	if len(avs) == 0 {
		return nil, nil
	}
	var out []*xmlnode.Element
	for _, node := range []string{NSMetadata, NSData} {
		if _, ok := svc.Config(node); ok {
			res, err := svc.Do(actor, &pubsub.Request{Op: pubsub.OpPurge, Node: node})
			if err != nil {
				return nil, err
			}
			out = append(out, res.Before...)
		}
	}
	max := ""
	if len(avs) > 1 {
		max = "max"
	}
	for _, a := range avs {
		for _, it := range []struct {
			node string
			item *xmlnode.Element
		}{{NSData, a.DataItem()}, {NSMetadata, a.MetadataItem()}} {
			res, err := svc.Do(actor, &pubsub.Request{Op: pubsub.OpPublish, Node: it.node,
				Items: []*xmlnode.Element{it.item}, PublishOptions: options(max), OptionsAsDefaults: true})
			if err != nil {
				return out, err
			}
			out = append(out, res.Before...)
		}
	}
	return out, nil
}

// VCardPhotos returns the PHOTO elements a vcard-temp get should show for
// the PEP avatar of svc, as actor may see it.
func VCardPhotos(svc *pubsub.Service, actor string) []*xmlnode.Element {
	data, err := items(svc, actor, NSData)
	if err != nil || len(data) == 0 {
		return nil
	}
	meta, _ := items(svc, actor, NSMetadata)
	return Photos(meta, data)
}

// CurrentHash returns the id of the owner's current avatar, "" for none:
// what XEP-0153's <photo/> carries in every presence.
//
// The service keeps the metadata item in its wire form, which Hash must
// parse: up to MaxItemBytes for every presence the owner sends, so the
// hash is remembered for the stored payload (hashMemo) and parsed once
// per publish.
func CurrentHash(svc *pubsub.Service) string {
	res, err := svc.Do("", &pubsub.Request{Op: pubsub.OpItems, Node: NSMetadata, MaxItems: 1})
	if err != nil {
		return ""
	}
	meta := res.Payload.Child(pubsub.NS, "items").ChildrenNamed(pubsub.NS, "item")
	if len(meta) == 0 {
		return ""
	}
	it := meta[len(meta)-1]
	raw, ok := (*xmlnode.Raw)(nil), false
	if len(it.Children) == 1 {
		raw, ok = it.Children[0].(*xmlnode.Raw)
	}
	if !ok {
		return Hash(it.Expanded())
	}
	return hashes.get(raw, func() string { return Hash(it.Expanded()) })
}

// hashMemo remembers the Hash of stored metadata payloads by the
// xmlnode.Raw the service keeps, the same until the item is published
// again. Its keys are weak pointers, so it keeps no payload alive, and it
// is cleared when full, so it stays small whatever the number of accounts.
type hashMemo struct {
	mu sync.Mutex
	m  map[weak.Pointer[xmlnode.Raw]]string
}

// maxHashMemo bounds hashMemo: more accounts than that sending presence in
// turn cost a parse each, as without it.
const maxHashMemo = 4096

var hashes hashMemo

func (h *hashMemo) get(raw *xmlnode.Raw, hash func() string) string {
	k := weak.Make(raw)
	h.mu.Lock()
	v, ok := h.m[k]
	h.mu.Unlock()
	if ok {
		return v
	}
	v = hash()
	h.mu.Lock()
	if h.m == nil || len(h.m) >= maxHashMemo {
		h.m = make(map[weak.Pointer[xmlnode.Raw]]string)
	}
	h.m[k] = v
	h.mu.Unlock()
	return v
}
