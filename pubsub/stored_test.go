package pubsub

import (
	"strings"
	"testing"

	"github.com/muctest/muctest/xmlnode"
)

// storedPayloads are payloads whose stored form (xmlnode.Raw) must count
// and write as their tree does: the benchmark shapes, one in the pubsub
// namespace itself (written without xmlns inside <item/>), escapes.
var storedPayloads = append([]string{
	`<pubsub xmlns="http://jabber.org/protocol/pubsub"><x/></pubsub>`,
	`<event xmlns="http://jabber.org/protocol/pubsub#event"/>`,
	`<q xmlns="urn:x:a&amp;b" a="&quot;&lt;">t &amp; &lt;</q>`,
}, func() []string {
	var out []string
	for _, p := range benchPayloads {
		out = append(out, p.xml)
	}
	return out
}()...)

// TestItemWireSize: an item counts against the quotas the size of its
// <item/> in the pubsub namespace, publisher included, exactly as it
// would be written.
func TestItemWireSize(t *testing.T) {
	for _, p := range storedPayloads {
		for _, pub := range []string{"", "romeo@localhost", `a"b&c@x`} {
			payload := xmlnode.MustParse(p)
			it := &item{id: "i<1>", publisher: pub, payload: xmlnode.RawElement(payload)}
			tree := xmlnode.New(NS, "item", "id", it.id)
			if pub != "" {
				tree.SetAttr("publisher", pub)
			}
			tree.Append(payload)
			want := tree.AppendTo(nil, NS)
			if got := it.wireSize(); got != len(want) {
				t.Errorf("wireSize of %s = %d, want %d", want, got, len(want))
			}
			if got := it.element(true).AppendTo(nil, NS); string(got) != string(want) {
				t.Errorf("element:\n got %s\nwant %s", got, want)
			}
		}
	}
}

// TestStoredItemsWire: what a publish stores is sent back byte for byte
// as the published tree would be, in the items result and in the
// notification, and the service's byte count is the items' wire size.
func TestStoredItemsWire(t *testing.T) {
	for _, p := range storedPayloads {
		s := component(Quotas{})
		mustOK(t, send(t, s, admin, createIQ("n")))
		mustOK(t, send(t, s, admin, subscribeIQ("n", romeo)))
		out := mustOK(t, send(t, s, admin, publishIQ("n", "current", p)))
		wantItem := `<item id="current" publisher="admin@localhost">` + strings.Replace(xmlnode.MustParse(p).String(), ` xmlns="`+NS+`"`, "", 1) + `</item>`
		wantEvent := `<item id="current" publisher="admin@localhost">` + strings.Replace(xmlnode.MustParse(p).String(), ` xmlns="`+NSEvent+`"`, "", 1) + `</item>`
		if len(out) != 2 || !strings.Contains(out[0], `<items node="n">`+wantEvent+`</items>`) {
			t.Errorf("notification %q, want it to carry %s", out, wantEvent)
		}
		items := mustOK(t, send(t, s, admin, itemsIQ("n", "", "")))
		if len(items) != 1 || !strings.Contains(items[0], `<items node="n">`+wantItem+`</items>`) {
			t.Errorf("items result %q, want it to carry %s", items, wantItem)
		}
		if got := s.Bytes(); got != len(wantItem) {
			t.Errorf("service holds %d bytes, want the item's wire size %d", got, len(wantItem))
		}
		res, err := s.Do(admin, &Request{Op: OpItems, Node: "n"})
		if err != nil {
			t.Fatal(err)
		}
		got := res.Payload.Expanded().Child(NS, "items").Child(NS, "item").Elements()
		if len(got) != 1 || got[0].String() != xmlnode.MustParse(p).String() {
			t.Errorf("expanded items result holds %v, want %s", got, p)
		}
	}
}
