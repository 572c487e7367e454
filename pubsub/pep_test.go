package pubsub

import (
	"strings"
	"testing"
)

const (
	romeoSelf = "romeo@localhost/r"
	friend    = "friend@localhost/f"   // presence subscription, group Friends
	cousin    = "cousin@localhost/c"   // on the roster, group Family, no subscription
	stranger  = "stranger@localhost/s" // not on the roster
)

func romeoRoster() fakeRoster {
	return fakeRoster{
		sub:    map[string]bool{"friend@localhost": true},
		groups: map[string][]string{"friend@localhost": {"Friends"}, "cousin@localhost": {"Family"}},
	}
}

func pepResult(to, id, payload string) string {
	r := result(to, id, payload)
	return strings.Replace(r, `from="pubsub.localhost"`, `from="romeo@localhost"`, 1)
}

func publishOptionsIQ(node, id, payload, fields string) string {
	return `<iq xmlns="jabber:client" type="set" id="p"><pubsub ` + psNS + `><publish node="` + node + `"><item id="` + id + `">` +
		payload + `</item></publish><publish-options><x xmlns="jabber:x:data" type="submit">` +
		`<field var="FORM_TYPE" type="hidden"><value>http://jabber.org/protocol/pubsub#publish-options</value></field>` +
		fields + `</x></publish-options></pubsub></iq>`
}

// TestAccessModels publishes one node per access model and checks who may
// retrieve and subscribe: XEP-0060 4.5 as Prosody's mod_pep decides it.
func TestAccessModels(t *testing.T) {
	s := pep(romeoRoster(), nil)
	for _, m := range []string{"open", "presence", "roster", "whitelist"} {
		fields := fieldXML("pubsub#access_model", m)
		if m == "roster" {
			fields += `<field var="pubsub#roster_groups_allowed"><value>Friends</value></field>`
		}
		mustOK(t, send(t, s, romeoSelf, publishOptionsIQ(m, "current", `<x xmlns="urn:x"/>`, fields)))
	}
	allowed := map[string][]string{
		"open":      {romeoSelf, friend, cousin, stranger},
		"presence":  {romeoSelf, friend},
		"roster":    {romeoSelf, friend},
		"whitelist": {romeoSelf},
	}
	for model, ok := range allowed {
		for _, who := range []string{romeoSelf, friend, cousin, stranger} {
			want := false
			for _, w := range ok {
				want = want || w == who
			}
			out := send(t, s, who, itemsIQ(model, "", ""))
			if got := errorOf(out[0]) == ""; got != want {
				t.Errorf("%s items by %s: allowed=%v, want %v (%s)", model, who, got, want, out[0])
			}
			if !want && errorOf(out[0]) != "auth/forbidden" {
				t.Errorf("%s items by %s: %s, want forbidden", model, who, out[0])
			}
			if want && strings.Contains(out[0], "publisher=") {
				t.Errorf("PEP items carry publisher=: %s", out[0])
			}
			out = send(t, s, who, subscribeIQ(model, who))
			if got := errorOf(out[0]) == ""; got != want {
				t.Errorf("%s subscribe by %s: allowed=%v, want %v (%s)", model, who, got, want, out[0])
			}
		}
	}
	// A member affiliation opens a whitelist node to that contact.
	mustOK(t, send(t, s, romeoSelf, ownerIQ("set",
		`<affiliations node="whitelist"><affiliation jid="cousin@localhost" affiliation="member"/></affiliations>`)))
	mustOK(t, send(t, s, cousin, itemsIQ("whitelist", "", "")))
	// Strangers see no nodes at all (the default access model shuts them
	// out of the service); the friend sees the ones open to it.
	if n := s.Nodes(stranger); len(n) != 0 {
		t.Errorf("stranger sees %v", n)
	}
	if n := strings.Join(s.Nodes(friend), ","); n != "open,presence,roster" {
		t.Errorf("friend sees %s", n)
	}
	if n := strings.Join(s.Nodes(romeoSelf), ","); n != "open,presence,roster,whitelist" {
		t.Errorf("owner sees %s", n)
	}
}

func TestPublishOptions(t *testing.T) {
	s := pep(romeoRoster(), nil)
	opts := fieldXML("pubsub#persist_items", "true") + fieldXML("pubsub#max_items", "255") +
		fieldXML("pubsub#send_last_published_item", "never") + fieldXML("pubsub#access_model", "whitelist")
	bm := `<conference xmlns="urn:xmpp:bookmarks:1" autojoin="true"/>`
	pubOK := func(id string) string {
		return pepResult(romeoSelf, "p", `<pubsub `+psNS+`><publish node="urn:xmpp:bookmarks:1"><item id="`+id+`"/></publish></pubsub>`)
	}
	run(t, s, []step{
		// Auto-created with the options as its configuration...
		{from: romeoSelf, iq: publishOptionsIQ("urn:xmpp:bookmarks:1", "a", bm, opts), want: []string{pubOK("a")}},
		// ...which later publishes with the same options meet...
		{from: romeoSelf, iq: publishOptionsIQ("urn:xmpp:bookmarks:1", "b", bm, opts), want: []string{pubOK("b")}},
		// ...and different ones do not: nothing is published.
		{from: romeoSelf, iq: publishOptionsIQ("urn:xmpp:bookmarks:1", "c", bm, fieldXML("pubsub#access_model", "open")),
			errWant: "cancel/conflict/precondition-not-met"},
		{from: romeoSelf, iq: publishOptionsIQ("urn:xmpp:bookmarks:1", "c", bm, fieldXML("pubsub#max_items", "max")),
			errWant: "cancel/conflict/precondition-not-met"},
		{from: romeoSelf, iq: publishOptionsIQ("urn:xmpp:bookmarks:1", "c", bm, fieldXML("pubsub#max_items", "many")),
			errWant: "modify/bad-request"},
		// An access model this service does not offer, on auto-create.
		{from: romeoSelf, iq: publishOptionsIQ("other", "c", bm, fieldXML("pubsub#access_model", "authorize")),
			errWant: "modify/not-acceptable"},
		// Nobody else publishes to Romeo's PEP.
		{from: friend, iq: publishIQ("urn:xmpp:bookmarks:1", "x", bm), errWant: "auth/forbidden"},
		{from: friend, iq: publishIQ("fresh", "x", bm), errWant: "auth/forbidden"},
	})
	c, _ := s.Config("urn:xmpp:bookmarks:1")
	if c.MaxItems != 255 || c.AccessModel != AccessWhitelist || c.SendLastPublishedItem != SendNever {
		t.Errorf("auto-created config: %+v", c)
	}
	out := send(t, s, romeoSelf, publishOptionsIQ("urn:xmpp:bookmarks:1", "c", bm, fieldXML("pubsub#access_model", "open")))
	if !strings.Contains(out[0], `<text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">Field does not match: access_model</text>`) {
		t.Errorf("precondition error text: %s", out[0])
	}
	if _, ok := s.Config("other"); ok {
		t.Error("a refused auto-create left a node")
	}
}

// TestInterested checks PEP's filtered notifications: the entities the
// caller says want a node get its notifications, as far as its access
// model lets them subscribe, each once, with no publisher unless the node
// asks for it.
func TestInterested(t *testing.T) {
	want := map[string][]string{"tune": {romeoSelf, friend, stranger, friend}}
	s := pep(romeoRoster(), func(node string) []string { return want[node] })
	tune := `<tune xmlns="http://jabber.org/protocol/tune"/>`
	ev := `<items node="tune"><item id="current">` + tune + `</item></items>`
	run(t, s, []step{{from: romeoSelf, iq: publishIQ("tune", "current", tune), want: []string{
		headline("romeo@localhost", romeoSelf, "id1", ev),
		headline("romeo@localhost", friend, "id1", ev),
		pepResult(romeoSelf, "p", `<pubsub `+psNS+`><publish node="tune"><item id="current"/></publish></pubsub>`)}}})
	// itemreply=publisher (pep_itemreply): the publisher is shown.
	mustOK(t, send(t, s, romeoSelf, configureIQ("tune", fieldXML("pubsub#itemreply", "publisher"))))
	out := send(t, s, romeoSelf, publishIQ("tune", "current", tune))
	if len(out) != 3 || !strings.Contains(out[0], `<item id="current" publisher="romeo@localhost">`) {
		t.Errorf("itemreply publisher: %v", out)
	}
	// The last item on presence: to those allowed, on_sub_and_presence.
	if got := s.PresenceLastItem("tune", friend); len(got) != 1 || got[0].Attrib("to") != friend {
		t.Errorf("last item to a friend: %v", got)
	}
	if got := s.PresenceLastItem("tune", stranger); len(got) != 0 {
		t.Errorf("last item leaked to a stranger: %v", got)
	}
	mustOK(t, send(t, s, romeoSelf, configureIQ("tune", fieldXML("pubsub#send_last_published_item", "on_sub"))))
	if got := s.PresenceLastItem("tune", friend); len(got) != 0 {
		t.Errorf("on_sub node sent its last item on presence: %v", got)
	}
}

func TestQuotas(t *testing.T) {
	big := `<x xmlns="urn:x">` + strings.Repeat("a", 200) + `</x>`
	small := `<x xmlns="urn:x">a</x>`
	t.Run("item", func(t *testing.T) {
		s := component(Quotas{MaxItemBytes: 150})
		mustOK(t, send(t, s, admin, createIQ("n")))
		run(t, s, []step{
			{from: admin, iq: publishIQ("n", "i", big), errWant: "modify/not-acceptable/payload-too-big"},
			{from: admin, iq: publishIQ("n", "i", small), want: []string{
				result(admin, "p", `<pubsub `+psNS+`><publish node="n"><item id="i"/></publish></pubsub>`)}},
		})
	})
	t.Run("node", func(t *testing.T) {
		s := component(Quotas{MaxNodeBytes: 700})
		mustOK(t, send(t, s, admin, createIQ("n")))
		mustOK(t, send(t, s, admin, publishIQ("n", "1", big)))
		mustOK(t, send(t, s, admin, publishIQ("n", "2", big)))
		run(t, s, []step{{from: admin, iq: publishIQ("n", "3", big), errWant: "wait/resource-constraint"}})
		// Replacing an item frees its old size first.
		mustOK(t, send(t, s, admin, publishIQ("n", "2", big)))
		// Retracting makes room.
		mustOK(t, send(t, s, admin, entityIQ("set", `<retract node="n"><item id="1"/></retract>`)))
		mustOK(t, send(t, s, admin, publishIQ("n", "3", big)))
	})
	t.Run("service", func(t *testing.T) {
		s := component(Quotas{MaxServiceBytes: 700})
		mustOK(t, send(t, s, admin, createIQ("a")))
		mustOK(t, send(t, s, admin, createIQ("b")))
		mustOK(t, send(t, s, admin, publishIQ("a", "1", big)))
		mustOK(t, send(t, s, admin, publishIQ("b", "1", big)))
		run(t, s, []step{{from: admin, iq: publishIQ("a", "2", big), errWant: "wait/resource-constraint"}})
		mustOK(t, send(t, s, admin, ownerIQ("set", `<delete node="b"/>`)))
		mustOK(t, send(t, s, admin, publishIQ("a", "2", big)))
	})
	t.Run("nodes", func(t *testing.T) {
		s := pep(romeoRoster(), nil)
		s.cfg.Quotas.MaxNodes = 2
		mustOK(t, send(t, s, romeoSelf, publishIQ("a", "1", small)))
		mustOK(t, send(t, s, romeoSelf, createIQ("b")))
		run(t, s, []step{
			{from: romeoSelf, iq: publishIQ("c", "1", small), errWant: "cancel/not-allowed/max-nodes-exceeded"},
			{from: romeoSelf, iq: createIQ("c"), errWant: "cancel/not-allowed/max-nodes-exceeded"},
		})
	})
	t.Run("subscriptions", func(t *testing.T) {
		s := component(Quotas{MaxSubscriptions: 2})
		for _, n := range []string{"a", "b", "c"} {
			mustOK(t, send(t, s, admin, createIQ(n)))
		}
		mustOK(t, send(t, s, juliet, subscribeIQ("a", juliet)))
		mustOK(t, send(t, s, juliet, subscribeIQ("b", "juliet@localhost/other")))
		mustOK(t, send(t, s, juliet, subscribeIQ("b", "juliet@localhost/other"))) // already counted
		run(t, s, []step{{from: juliet, iq: subscribeIQ("c", juliet), errWant: "wait/policy-violation/too-many-subscriptions"}})
		mustOK(t, send(t, s, admin, ownerIQ("set", `<delete node="a"/>`)))
		mustOK(t, send(t, s, juliet, subscribeIQ("c", juliet)))
	})
}
