package pubsub

import (
	"strings"
	"testing"

	"github.com/muctest/muctest/xmlnode"
)

// step is one iq of a scenario and what must come out of it: the exact
// serialisations, in order, or (errWant) the error of the reply, written
// "type/condition[/pubsub-condition]".
type step struct {
	from, iq string
	want     []string
	errWant  string
}

// errorOf returns the type/condition[/pubsub-condition] of an error reply,
// "" when s is not one.
func errorOf(s string) string {
	el := xmlnode.MustParse(s)
	if el.Attrib("type") != "error" {
		return ""
	}
	e := el.Child(nsClient, "error")
	out := e.Attrib("type")
	for _, c := range e.Elements() {
		if c.Name.Local != "text" {
			out += "/" + c.Name.Local
		}
	}
	return out
}

func run(t *testing.T, s *Service, steps []step) {
	t.Helper()
	for i, st := range steps {
		out := send(t, s, st.from, st.iq)
		if st.errWant != "" {
			if len(out) != 1 || errorOf(out[0]) != st.errWant {
				t.Fatalf("step %d: got %v, want the error %s", i, out, st.errWant)
			}
			continue
		}
		if len(out) != len(st.want) {
			t.Fatalf("step %d: got %d stanzas, want %d:\n%s", i, len(out), len(st.want), strings.Join(out, "\n"))
		}
		for j := range out {
			if out[j] != st.want[j] {
				t.Fatalf("step %d stanza %d:\ngot  %s\nwant %s", i, j, out[j], st.want[j])
			}
		}
	}
}

const (
	admin  = "admin@localhost/a"
	juliet = "juliet@localhost/j"
	romeo  = "romeo@localhost/r"
	atom   = `<entry xmlns="http://www.w3.org/2005/Atom"><title>Soliloquy</title></entry>`
)

func result(to, id, payload string) string {
	if payload == "" {
		return `<iq xmlns="jabber:client" from="pubsub.localhost" to="` + to + `" id="` + id + `" type="result"/>`
	}
	return `<iq xmlns="jabber:client" from="pubsub.localhost" to="` + to + `" id="` + id + `" type="result">` + payload + `</iq>`
}

func headline(from, to, id, event string) string {
	return `<message xmlns="jabber:client" from="` + from + `" type="headline" id="` + id + `" to="` + to +
		`"><event xmlns="http://jabber.org/protocol/pubsub#event">` + event + `</event></message>`
}

func ownerIQ(typ, inner string) string {
	return `<iq xmlns="jabber:client" type="` + typ + `" id="o"><pubsub ` + ownerNS + `>` + inner + `</pubsub></iq>`
}

func entityIQ(typ, inner string) string {
	return `<iq xmlns="jabber:client" type="` + typ + `" id="e"><pubsub ` + psNS + `>` + inner + `</pubsub></iq>`
}

func configureIQ(node, fields string) string {
	return ownerIQ("set", `<configure node="`+node+`"><x xmlns="jabber:x:data" type="submit">`+
		`<field var="FORM_TYPE" type="hidden"><value>http://jabber.org/protocol/pubsub#node_config</value></field>`+
		fields+`</x></configure>`)
}

func fieldXML(v, val string) string {
	return `<field var="` + v + `"><value>` + val + `</value></field>`
}

func TestComponentLifecycle(t *testing.T) {
	s := component(Quotas{})
	pub := `<pubsub ` + psNS + `><publish node="n"><item id="current"/></publish></pubsub>`
	run(t, s, []step{
		{from: romeo, iq: createIQ("n"), errWant: "auth/forbidden"},
		{from: admin, iq: createIQ("n"), want: []string{result(admin, "c", "")}},
		{from: admin, iq: createIQ("n"), errWant: "cancel/conflict"},
		{from: juliet, iq: subscribeIQ("n", romeo), errWant: "auth/forbidden"},
		{from: juliet, iq: subscribeIQ("n", juliet), want: []string{result(juliet, "s",
			`<pubsub `+psNS+`><subscription node="n" jid="juliet@localhost/j" subscription="subscribed"/></pubsub>`)}},
		{from: romeo, iq: publishIQ("n", "current", atom), errWant: "auth/forbidden"},
		// The notification goes out before the reply, with the publisher
		// (expose_publisher) and the payload.
		{from: admin, iq: publishIQ("n", "current", atom), want: []string{
			headline("pubsub.localhost", juliet, "id1",
				`<items node="n"><item id="current" publisher="admin@localhost">`+atom+`</item></items>`),
			result(admin, "p", pub)}},
		{from: juliet, iq: entityIQ("set", `<unsubscribe node="n" jid="`+juliet+`"/>`), want: []string{result(juliet, "e",
			`<pubsub `+psNS+`><subscription node="n" jid="juliet@localhost/j" subscription="none"/></pubsub>`)}},
		{from: juliet, iq: entityIQ("set", `<unsubscribe node="n" jid="`+juliet+`"/>`),
			errWant: "modify/unexpected-request/not-subscribed"},
		{from: juliet, iq: subscribeIQ("n", juliet), want: []string{result(juliet, "s",
			`<pubsub `+psNS+`><subscription node="n" jid="juliet@localhost/j" subscription="subscribed"/></pubsub>`)}},
		{from: juliet, iq: ownerIQ("set", `<delete node="n"/>`), errWant: "auth/forbidden"},
		{from: admin, iq: ownerIQ("set", `<delete node="n"/>`), want: []string{
			headline("pubsub.localhost", juliet, "id2", `<delete node="n"/>`),
			result(admin, "o", "")}},
		{from: admin, iq: ownerIQ("set", `<delete node="n"/>`), errWant: "cancel/item-not-found"},
	})
	if s.Bytes() != 0 {
		t.Errorf("a deleted node's items still count: %d bytes", s.Bytes())
	}
}

func TestItemsRetrieval(t *testing.T) {
	s := component(Quotas{})
	item := func(id, text string) string {
		return `<item id="` + id + `" publisher="admin@localhost"><foo xmlns="urn:test">` + text + `</foo></item>`
	}
	items := func(inner string) string {
		return `<pubsub ` + psNS + `><items node="n">` + inner + `</items></pubsub>`
	}
	run(t, s, []step{
		{from: admin, iq: createIQ("n"), want: []string{result(admin, "c", "")}},
		{from: admin, iq: configureIQ("n", fieldXML("pubsub#max_items", "3")), want: []string{result(admin, "o", "")}},
	})
	for _, id := range []string{"a", "b", "c", "d"} {
		mustOK(t, send(t, s, admin, publishIQ("n", id, `<foo xmlns="urn:test">`+id+`</foo>`)))
	}
	run(t, s, []step{
		// max_items 3 dropped a, the oldest; the rest come oldest first.
		{from: juliet, iq: itemsIQ("n", "", ""), want: []string{result(juliet, "i",
			items(item("b", "b")+item("c", "c")+item("d", "d")))}},
		// The latest N (#1608).
		{from: juliet, iq: itemsIQ("n", ` max_items="1"`, ""), want: []string{result(juliet, "i", items(item("d", "d")))}},
		// By id, in the order asked, unknown ids left out (#1322).
		{from: juliet, iq: itemsIQ("n", "", `<item id="d"/><item id="a"/><item id="b"/>`),
			want: []string{result(juliet, "i", items(item("d", "d")+item("b", "b")))}},
		{from: juliet, iq: itemsIQ("n", ` max_items="0"`, ""), errWant: "modify/bad-request"},
		{from: juliet, iq: itemsIQ("nope", "", ""), errWant: "cancel/item-not-found"},
		{from: juliet, iq: entityIQ("get", `<items/>`), errWant: "modify/bad-request/nodeid-required"},
	})
	// Republishing an id replaces it and makes it the newest.
	mustOK(t, send(t, s, admin, publishIQ("n", "b", `<foo xmlns="urn:test">b2</foo>`)))
	run(t, s, []step{{from: juliet, iq: itemsIQ("n", "", ""), want: []string{result(juliet, "i",
		items(item("c", "c")+item("d", "d")+item("b", "b2")))}}})
	// Lowering max_items trims at once, and the byte count follows.
	before := s.Bytes()
	mustOK(t, send(t, s, admin, configureIQ("n", fieldXML("pubsub#max_items", "1"))))
	run(t, s, []step{{from: juliet, iq: itemsIQ("n", "", ""), want: []string{result(juliet, "i", items(item("b", "b2")))}}})
	if after := s.Bytes(); after >= before || after == 0 {
		t.Errorf("bytes %d -> %d after trimming to one item", before, after)
	}
}

func TestPublishSeveralRetractPurge(t *testing.T) {
	s := component(Quotas{})
	mustOK(t, send(t, s, admin, createIQ("n")))
	mustOK(t, send(t, s, juliet, subscribeIQ("n", juliet)))
	two := `<iq xmlns="jabber:client" type="set" id="p"><pubsub ` + psNS + `><publish node="n">` +
		`<item id="x"><a xmlns="urn:a"/></item><item><b xmlns="urn:b"/></item></publish></pubsub></iq>`
	run(t, s, []step{
		{from: admin, iq: two, want: []string{
			headline("pubsub.localhost", juliet, "id2", `<items node="n"><item id="x" publisher="admin@localhost"><a xmlns="urn:a"/></item>`+
				`<item id="id1" publisher="admin@localhost"><b xmlns="urn:b"/></item></items>`),
			result(admin, "p", `<pubsub `+psNS+`><publish node="n"><item id="x"/><item id="id1"/></publish></pubsub>`)}},
		// An item must hold exactly one payload element.
		{from: admin, iq: publishIQ("n", "y", `<a xmlns="urn:a"/><b xmlns="urn:b"/>`), errWant: "modify/bad-request"},
		{from: admin, iq: publishIQ("n", "y", ``), errWant: "modify/bad-request"},
		{from: admin, iq: entityIQ("set", `<publish node="n"/>`), errWant: "modify/bad-request/item-required"},
		{from: admin, iq: entityIQ("set", `<publish><item id="q"><a xmlns="urn:a"/></item></publish>`),
			errWant: "modify/bad-request/nodeid-required"},
		{from: admin, iq: publishIQ("nope", "y", `<a xmlns="urn:a"/>`), errWant: "cancel/item-not-found"},
		// Retract without notify: silent; with: the retract event.
		{from: admin, iq: entityIQ("set", `<retract node="n"><item id="id1"/></retract>`), want: []string{result(admin, "e", "")}},
		{from: admin, iq: entityIQ("set", `<retract node="n"><item id="id1"/></retract>`), errWant: "cancel/item-not-found"},
		{from: juliet, iq: entityIQ("set", `<retract node="n" notify="true"><item id="x"/></retract>`), errWant: "auth/forbidden"},
		{from: admin, iq: entityIQ("set", `<retract node="n" notify="1"><item id="x"/></retract>`), want: []string{
			headline("pubsub.localhost", juliet, "id3", `<items node="n"><retract id="x"/></items>`),
			result(admin, "e", "")}},
	})
	mustOK(t, send(t, s, admin, publishIQ("n", "z", `<a xmlns="urn:a"/>`)))
	run(t, s, []step{
		{from: admin, iq: ownerIQ("set", `<purge node="n"/>`), want: []string{
			headline("pubsub.localhost", juliet, "id5", `<purge node="n"/>`),
			result(admin, "o", "")}},
		{from: juliet, iq: itemsIQ("n", "", ""), want: []string{result(juliet, "i", `<pubsub `+psNS+`><items node="n"/></pubsub>`)}},
	})
	if s.Bytes() != 0 {
		t.Errorf("purged node still holds %d bytes", s.Bytes())
	}
}

func TestSendLastPublishedItemOnSub(t *testing.T) {
	s := component(Quotas{})
	mustOK(t, send(t, s, admin, createIQ("n")))
	mustOK(t, send(t, s, admin, publishIQ("n", "current", atom)))
	// never (the service default): the reply only.
	run(t, s, []step{{from: juliet, iq: subscribeIQ("n", juliet), want: []string{result(juliet, "s",
		`<pubsub `+psNS+`><subscription node="n" jid="juliet@localhost/j" subscription="subscribed"/></pubsub>`)}}})
	mustOK(t, send(t, s, juliet, entityIQ("set", `<unsubscribe node="n" jid="`+juliet+`"/>`)))
	mustOK(t, send(t, s, admin, configureIQ("n", fieldXML("pubsub#send_last_published_item", "on_sub"))))
	// on_sub: the reply, then the last item.
	run(t, s, []step{{from: juliet, iq: subscribeIQ("n", juliet), want: []string{
		result(juliet, "s", `<pubsub `+psNS+`><subscription node="n" jid="juliet@localhost/j" subscription="subscribed"/></pubsub>`),
		headline("pubsub.localhost", juliet, "id1", `<items node="n"><item id="current" publisher="admin@localhost">`+atom+`</item></items>`)}}})
}

func TestAffiliations(t *testing.T) {
	s := component(Quotas{})
	mustOK(t, send(t, s, admin, createIQ("n")))
	mustOK(t, send(t, s, juliet, subscribeIQ("n", juliet)))
	affs := func(inner string) string {
		return `<pubsub ` + ownerNS + `><affiliations node="n">` + inner + `</affiliations></pubsub>`
	}
	run(t, s, []step{
		{from: admin, iq: ownerIQ("get", `<affiliations node="n"/>`), want: []string{result(admin, "o",
			affs(`<affiliation jid="admin@localhost" affiliation="owner"/>`))}},
		{from: juliet, iq: ownerIQ("get", `<affiliations node="n"/>`), errWant: "auth/forbidden"},
		{from: admin, iq: ownerIQ("set", `<affiliations node="n"><affiliation jid="romeo@localhost" affiliation="publisher"/>`+
			`<affiliation jid="juliet@localhost" affiliation="outcast"/></affiliations>`), want: []string{result(admin, "o", "")}},
		{from: admin, iq: ownerIQ("get", `<affiliations node="n"/>`), want: []string{result(admin, "o",
			affs(`<affiliation jid="admin@localhost" affiliation="owner"/><affiliation jid="romeo@localhost" affiliation="publisher"/>`+
				`<affiliation jid="juliet@localhost" affiliation="outcast"/>`))}},
		// The outcast lost its subscription and may not come back; the
		// publisher publishes, notifying nobody.
		{from: juliet, iq: subscribeIQ("n", juliet), errWant: "auth/forbidden"},
		{from: juliet, iq: itemsIQ("n", "", ""), errWant: "auth/forbidden"},
		{from: romeo, iq: publishIQ("n", "r", `<a xmlns="urn:a"/>`), want: []string{result(romeo, "p",
			`<pubsub `+psNS+`><publish node="n"><item id="r"/></publish></pubsub>`)}},
		{from: romeo, iq: entityIQ("get", `<affiliations/>`), want: []string{result(romeo, "e",
			`<pubsub `+psNS+`><affiliations><affiliation node="n" affiliation="publisher"/></affiliations></pubsub>`)}},
		{from: admin, iq: ownerIQ("set", `<affiliations node="n"><affiliation jid="romeo@localhost" affiliation="king"/></affiliations>`),
			errWant: "modify/bad-request"},
		{from: admin, iq: ownerIQ("set", `<affiliations node="n"><affiliation jid="romeo@localhost" affiliation="none"/></affiliations>`),
			want: []string{result(admin, "o", "")}},
		{from: romeo, iq: publishIQ("n", "r", `<a xmlns="urn:a"/>`), errWant: "auth/forbidden"},
	})
}

func TestOwnerSubscriptions(t *testing.T) {
	s := component(Quotas{})
	mustOK(t, send(t, s, admin, createIQ("n")))
	run(t, s, []step{
		{from: admin, iq: ownerIQ("set", `<subscriptions node="n"><subscription jid="`+juliet+`" subscription="subscribed"/></subscriptions>`),
			want: []string{result(admin, "o", "")}},
		{from: juliet, iq: ownerIQ("get", `<subscriptions node="n"/>`), errWant: "auth/forbidden"},
		{from: admin, iq: ownerIQ("get", `<subscriptions node="n"/>`), want: []string{result(admin, "o",
			`<pubsub `+ownerNS+`><subscriptions node="n"><subscription jid="juliet@localhost/j" subscription="subscribed"/></subscriptions></pubsub>`)}},
		{from: juliet, iq: entityIQ("get", `<subscriptions/>`), want: []string{result(juliet, "e",
			`<pubsub `+psNS+`><subscriptions><subscription node="n" jid="juliet@localhost/j" subscription="subscribed"/></subscriptions></pubsub>`)}},
		{from: juliet, iq: entityIQ("get", `<options node="n" jid="`+juliet+`"/>`), want: []string{result(juliet, "e",
			`<pubsub `+psNS+`><options node="n" jid="juliet@localhost/j"><x xmlns="jabber:x:data" type="form">`+
				`<field var="FORM_TYPE" type="hidden"><value>http://jabber.org/protocol/pubsub#subscribe_options</value></field>`+
				`<field var="pubsub#include_body" type="boolean" label="Receive message body in addition to payload?"><value>0</value></field>`+
				`</x></options></pubsub>`)}},
		{from: romeo, iq: entityIQ("get", `<options node="n" jid="`+juliet+`"/>`), errWant: "auth/forbidden"},
		{from: romeo, iq: entityIQ("get", `<options node="n" jid="`+romeo+`"/>`), errWant: "modify/unexpected-request/not-subscribed"},
		{from: admin, iq: ownerIQ("set", `<subscriptions node="n"><subscription jid="`+juliet+`" subscription="none"/></subscriptions>`),
			want: []string{result(admin, "o", "")}},
		{from: admin, iq: ownerIQ("get", `<subscriptions node="n"/>`), want: []string{result(admin, "o",
			`<pubsub `+ownerNS+`><subscriptions node="n"/></pubsub>`)}},
	})
}

func TestConfigure(t *testing.T) {
	s := component(Quotas{})
	mustOK(t, send(t, s, admin, createIQ("n")))
	mustOK(t, send(t, s, juliet, subscribeIQ("n", juliet)))
	run(t, s, []step{
		{from: juliet, iq: ownerIQ("get", `<configure node="n"/>`), errWant: "auth/forbidden"},
		{from: juliet, iq: configureIQ("n", fieldXML("pubsub#title", "mine")), errWant: "auth/forbidden"},
		{from: admin, iq: ownerIQ("get", `<configure node="nope"/>`), errWant: "cancel/item-not-found"},
		{from: admin, iq: ownerIQ("set", `<configure node="n"/>`), errWant: "modify/bad-request"},
		{from: admin, iq: configureIQ("n", fieldXML("pubsub#max_items", "1000")), errWant: "modify/bad-request"},
		// presence needs an owner with a roster: not on this service.
		{from: admin, iq: configureIQ("n", fieldXML("pubsub#access_model", "presence")), errWant: "modify/not-acceptable"},
		{from: admin, iq: configureIQ("n", fieldXML("pubsub#title", "Nice tunes")), want: []string{result(admin, "o", "")}},
		// A cancelled form changes nothing.
		{from: admin, iq: ownerIQ("set", `<configure node="n"><x xmlns="jabber:x:data" type="cancel"/></configure>`),
			want: []string{result(admin, "o", "")}},
	})
	if c, _ := s.Config("n"); c.Title != "Nice tunes" || c.MaxItems != 20 {
		t.Errorf("config after set: %+v", c)
	}
	items := s.DiscoItems(juliet)
	if len(items) != 1 || items[0].String() != `<item xmlns="http://jabber.org/protocol/disco#items" jid="pubsub.localhost" node="n" name="Nice tunes"/>` {
		t.Errorf("disco items: %v", items)
	}
	// Whitelisting the node drops the subscriber it no longer admits, and
	// hides the node from strangers.
	mustOK(t, send(t, s, admin, configureIQ("n", fieldXML("pubsub#access_model", "whitelist"))))
	run(t, s, []step{{from: admin, iq: ownerIQ("get", `<subscriptions node="n"/>`), want: []string{result(admin, "o",
		`<pubsub `+ownerNS+`><subscriptions node="n"/></pubsub>`)}}})
	if n := s.DiscoItems(juliet); len(n) != 0 {
		t.Errorf("a whitelist node is listed to a stranger: %v", n)
	}
	if n := s.DiscoItems(admin); len(n) != 1 {
		t.Errorf("the owner does not see its node: %v", n)
	}
	if _, err := s.DiscoInfoNode(juliet, "n"); err == nil {
		t.Error("a stranger read a whitelist node's metadata")
	}
	// Default configuration.
	out := send(t, s, juliet, ownerIQ("get", `<default/>`))
	if len(out) != 1 || !strings.Contains(out[0], `<default><x xmlns="jabber:x:data" type="form">`) {
		t.Errorf("default: %v", out)
	}
}

func TestInstantNodeAndCreateConfigure(t *testing.T) {
	s := component(Quotas{})
	run(t, s, []step{
		{from: admin, iq: entityIQ("set", `<create/>`), want: []string{result(admin, "e",
			`<pubsub `+psNS+`><create node="id1"/></pubsub>`)}},
		{from: admin, iq: entityIQ("set", `<create node="c"/><configure><x xmlns="jabber:x:data" type="submit">`+
			fieldXML("pubsub#max_items", "5")+fieldXML("pubsub#persist_items", "false")+`</x></configure>`),
			want: []string{result(admin, "e", "")}},
		{from: admin, iq: itemsIQ("c", "", ""), errWant: "cancel/feature-not-implemented/unsupported"},
		{from: admin, iq: entityIQ("set", `<create node="d"/><configure><x xmlns="jabber:x:data" type="submit">`+
			fieldXML("pubsub#access_model", "roster")+`</x></configure>`), errWant: "modify/not-acceptable"},
	})
	if c, _ := s.Config("c"); c.MaxItems != 5 || c.PersistItems {
		t.Errorf("create-and-configure: %+v", c)
	}
}

func TestNotificationConfig(t *testing.T) {
	s := component(Quotas{})
	mustOK(t, send(t, s, admin, createIQ("n")))
	mustOK(t, send(t, s, juliet, subscribeIQ("n", juliet)))
	mustOK(t, send(t, s, admin, configureIQ("n", fieldXML("pubsub#deliver_payloads", "0")+
		fieldXML("pubsub#notification_type", "normal"))))
	run(t, s, []step{{from: admin, iq: publishIQ("n", "i", atom), want: []string{
		`<message xmlns="jabber:client" from="pubsub.localhost" type="normal" id="id1" to="juliet@localhost/j">` +
			`<event xmlns="http://jabber.org/protocol/pubsub#event"><items node="n"><item id="i" publisher="admin@localhost"/></items></event></message>`,
		result(admin, "p", `<pubsub `+psNS+`><publish node="n"><item id="i"/></publish></pubsub>`)}}})
	mustOK(t, send(t, s, admin, configureIQ("n", fieldXML("pubsub#deliver_notifications", "0")+fieldXML("pubsub#notify_delete", "0"))))
	run(t, s, []step{
		{from: admin, iq: publishIQ("n", "i", atom), want: []string{
			result(admin, "p", `<pubsub `+psNS+`><publish node="n"><item id="i"/></publish></pubsub>`)}},
		{from: admin, iq: ownerIQ("set", `<delete node="n"/>`), want: []string{result(admin, "o", "")}},
	})
}
