package avatar

import (
	"strings"
	"testing"

	"github.com/muctest/muctest/pubsub"
	"github.com/muctest/muctest/xmlnode"
)

// TestCurrentHashParsesOncePerPublish: the metadata item is stored in its
// wire form; CurrentHash, which every available presence of the owner
// costs, parses it once per publish however large it is (a client may
// publish MaxItemBytes of metadata), and a new publish is seen at once.
func TestCurrentHashParsesOncePerPublish(t *testing.T) {
	const me = "romeo@localhost/r"
	svc := pubsub.NewService(pubsub.ServiceConfig{
		JID: "romeo@localhost", Defaults: pubsub.PEPDefaults(), AutocreateOnPublish: true,
		AccessModels: []string{pubsub.AccessOpen, pubsub.AccessPresence},
		Affiliation: func(b, _, _ string) pubsub.Affiliation {
			if b == "romeo@localhost" {
				return pubsub.Owner
			}
			return ""
		},
	})
	publish := func(id string) {
		item := xmlnode.MustParse(`<item xmlns="http://jabber.org/protocol/pubsub" id="` + id + `"><metadata xmlns="urn:xmpp:avatar:metadata">` +
			strings.Repeat(`<x xmlns="urn:pad"/>`, 2000) + `<info id="` + id + `" bytes="5" type="image/png"/></metadata></item>`)
		if _, err := svc.Do(me, &pubsub.Request{Op: pubsub.OpPublish, Node: NSMetadata, Items: []*xmlnode.Element{item}}); err != nil {
			t.Fatal(err)
		}
	}
	publish("h1")
	if h := CurrentHash(svc); h != "h1" {
		t.Fatalf("hash %q, want h1", h)
	}
	// A parse of the item would cost thousands of allocations (an
	// element each).
	if n := testing.AllocsPerRun(20, func() { CurrentHash(svc) }); n > 100 {
		t.Errorf("CurrentHash of an unchanged item: %.0f allocations, want no parse", n)
	}
	publish("h2")
	if h := CurrentHash(svc); h != "h2" {
		t.Errorf("hash after a new publish %q, want h2", h)
	}
}
