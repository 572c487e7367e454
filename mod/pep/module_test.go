package pep_test

import (
	"strings"
	"testing"

	"github.com/muctest/muctest/mod/disco"
	"github.com/muctest/muctest/mod/pep"
	"github.com/muctest/muctest/mod/private"
	"github.com/muctest/muctest/mod/register"
	"github.com/muctest/muctest/mod/roster"
	"github.com/muctest/muctest/mod/vcard"
	"github.com/muctest/muctest/moduletest"
	"github.com/muctest/muctest/pubsub"
)

func server(t *testing.T) *moduletest.Server {
	return moduletest.New(t, disco.Module{ServerName: "test"}, roster.Module{}, vcard.Module{}, private.Module{}, pep.Module{})
}

// TestCapsAndNotify: a resource whose caps +notify a node is asked once,
// then notified; the account's disco lists the PEP identity and its nodes.
func TestCapsAndNotify(t *testing.T) {
	s := server(t)
	desk := s.Login("romeo@localhost/desk")
	desk.Send(`<presence><c xmlns="http://jabber.org/protocol/caps" hash="sha-1" node="urn:x" ver="c+cNsZQkpCWKk0hZw53vTZ7ohLU="/></presence>`)
	desk.Expect(
		`<iq type="get" id="disco" from="romeo@localhost" to="romeo@localhost/desk"><query xmlns="http://jabber.org/protocol/disco#info" node="urn:x#c+cNsZQkpCWKk0hZw53vTZ7ohLU="/></iq>`,
		`<presence from="romeo@localhost/desk"><c xmlns="http://jabber.org/protocol/caps" hash="sha-1" node="urn:x" ver="c+cNsZQkpCWKk0hZw53vTZ7ohLU="/><x xmlns="vcard-temp:x:update"><photo/></x></presence>`)
	desk.Send(`<iq type="result" id="disco" to="romeo@localhost"><query xmlns="http://jabber.org/protocol/disco#info" node="urn:x#c+cNsZQkpCWKk0hZw53vTZ7ohLU=">` +
		`<identity category="client" type="pc" name="Desk"/><feature var="http://jabber.org/protocol/disco#info"/><feature var="http://jabber.org/protocol/tune+notify"/></query></iq>`)
	desk.ExpectNothing()
	desk.Send(`<iq type="set" id="p1"><pubsub xmlns="http://jabber.org/protocol/pubsub"><publish node="http://jabber.org/protocol/tune"><item id="current"><tune xmlns="http://jabber.org/protocol/tune"/></item></publish></pubsub></iq>`)
	desk.Expect(
		`<message type="headline" from="romeo@localhost" to="romeo@localhost/desk" id="{scansion:any}"><event xmlns="http://jabber.org/protocol/pubsub#event"><items node="http://jabber.org/protocol/tune"><item id="current"><tune xmlns="http://jabber.org/protocol/tune"/></item></items></event></message>`,
		`<iq type="result" id="p1" to="romeo@localhost/desk"><pubsub xmlns="http://jabber.org/protocol/pubsub"><publish node="http://jabber.org/protocol/tune"><item id="current"/></publish></pubsub></iq>`)
	desk.Send(`<iq type="get" id="d1"><query xmlns="http://jabber.org/protocol/disco#items"/></iq>`)
	desk.Expect(`<iq type="result" id="d1" to="romeo@localhost/desk"><query xmlns="http://jabber.org/protocol/disco#items"><item jid="romeo@localhost" node="http://jabber.org/protocol/tune"/></query></iq>`)
	desk.Send(`<iq type="get" id="d2"><query xmlns="http://jabber.org/protocol/disco#info" node="http://jabber.org/protocol/tune"/></iq>`)
	desk.Expect(`<iq type="result" id="d2" to="romeo@localhost/desk"><query xmlns="http://jabber.org/protocol/disco#info" node="http://jabber.org/protocol/tune">` +
		`<identity category="pubsub" type="leaf"/><x xmlns="jabber:x:data" type="result"><field var="FORM_TYPE" type="hidden"><value>http://jabber.org/protocol/pubsub#meta-data</value></field>` +
		`<field var="pubsub#access_model" type="text-single"><value>presence</value></field><field var="pubsub#publish_model" type="text-single"><value>publishers</value></field></x></query></iq>`)
	desk.Send(`<iq type="get" id="d3"><query xmlns="http://jabber.org/protocol/disco#info" node="urn:none"/></iq>`)
	desk.Expect(`<iq type="error" id="d3" to="romeo@localhost/desk"><error type="cancel"><item-not-found xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`)
}

// TestBookmarksPrivate: XEP-0048 in private XML is XEP-0402 on PEP; the
// legacy PEP node answers from it too.
func TestBookmarksPrivate(t *testing.T) {
	s := server(t)
	c := s.Login("juliet@localhost/balcony")
	// No bookmarks 2 node yet: the legacy PEP node is not found (while
	// private XML answers an empty <storage/>).
	c.Send(`<iq type="get" id="g0"><pubsub xmlns="http://jabber.org/protocol/pubsub"><items node="storage:bookmarks"/></pubsub></iq>`)
	c.Expect(`<iq type="error" id="g0" to="juliet@localhost/balcony"><error type="cancel"><item-not-found xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>` +
		`<text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">Failed to retrieve bookmarks from PEP</text></error></iq>`)
	c.Send(`<iq type="get" id="p0"><query xmlns="jabber:iq:private"><storage xmlns="storage:bookmarks"/></query></iq>`)
	c.Expect(`<iq type="result" id="p0" to="juliet@localhost/balcony"><query xmlns="jabber:iq:private"><storage xmlns="storage:bookmarks"/></query></iq>`)
	c.Send(`<iq type="set" id="s1"><query xmlns="jabber:iq:private"><storage xmlns="storage:bookmarks"><conference jid="a@conference.localhost" name="A"/></storage></query></iq>`)
	c.Expect(`<iq type="result" id="s1" to="juliet@localhost/balcony"/>`)
	c.Send(`<iq type="get" id="g1"><pubsub xmlns="http://jabber.org/protocol/pubsub"><items node="storage:bookmarks"/></pubsub></iq>`)
	c.Expect(`<iq type="result" id="g1" to="juliet@localhost/balcony"><pubsub xmlns="http://jabber.org/protocol/pubsub"><items node="storage:bookmarks"><item id="current">` +
		`<storage xmlns="storage:bookmarks"><conference jid="a@conference.localhost" name="A"/></storage></item></items></pubsub></iq>`)
	c.Send(`<iq type="get" id="g2"><pubsub xmlns="http://jabber.org/protocol/pubsub"><items node="urn:xmpp:bookmarks:1"/></pubsub></iq>`)
	c.Expect(`<iq type="result" id="g2" to="juliet@localhost/balcony"><pubsub xmlns="http://jabber.org/protocol/pubsub"><items node="urn:xmpp:bookmarks:1">` +
		`<item id="a@conference.localhost"><conference xmlns="urn:xmpp:bookmarks:1" name="A"/></item></items></pubsub></iq>`)
	// A legacy-node publish without a <storage/>, or in another
	// namespace, is an ordinary publish (not a crash).
	c.Send(`<iq type="set" id="g3"><pubsub xmlns="http://jabber.org/protocol/pubsub"><publish xmlns="urn:other" node="storage:bookmarks"/></pubsub></iq>`)
	c.Expect(`<iq type="error" id="g3"><error type="cancel"><feature-not-implemented xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>` +
		`<unsupported xmlns="http://jabber.org/protocol/pubsub#errors" feature="publish"/></error></iq>`)
	// Someone else's private XML stays out of reach.
	o := s.Login("nurse@localhost/hall")
	o.Send(`<iq type="get" id="x1" to="juliet@localhost"><pubsub xmlns="http://jabber.org/protocol/pubsub"><items node="urn:xmpp:bookmarks:1"/></pubsub></iq>`)
	o.Expect(`<iq type="error" id="x1" from="juliet@localhost" to="nurse@localhost/hall"><error type="auth"><forbidden xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`)
}

// TestQuotas: an account's PEP refuses an item over its byte quota and a
// node over its node count, with the pubsub errors, and keeps serving.
func TestQuotas(t *testing.T) {
	s := moduletest.New(t, roster.Module{}, pep.Module{Quotas: pubsub.Quotas{MaxNodes: 2, MaxItemBytes: 300}})
	c := s.Login("romeo@localhost/r")
	pub := func(id, node, text string) {
		c.Send(`<iq type="set" id="` + id + `"><pubsub xmlns="http://jabber.org/protocol/pubsub"><publish node="` + node +
			`"><item id="i"><x xmlns="urn:x">` + text + `</x></item></publish></pubsub></iq>`)
	}
	pub("p1", "a", strings.Repeat("x", 400))
	c.Expect(`<iq type="error" id="p1"><error type="modify"><not-acceptable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>` +
		`<payload-too-big xmlns="http://jabber.org/protocol/pubsub#errors"/></error></iq>`)
	pub("p2", "a", "x")
	pub("p3", "b", "x")
	c.Received()
	pub("p4", "c", "x")
	c.Expect(`<iq type="error" id="p4"><error type="cancel"><not-allowed xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>` +
		`<max-nodes-exceeded xmlns="http://jabber.org/protocol/pubsub#errors"/></error></iq>`)
	pub("p5", "a", "y")
	c.Expect(`<iq type="result" id="p5"><pubsub xmlns="http://jabber.org/protocol/pubsub"><publish node="a"><item id="i"/></publish></pubsub></iq>`)
}

// TestAccountRemovedDropsNodes: a removed account's PEP nodes go with it,
// so a new account of the same name starts with none.
func TestAccountRemovedDropsNodes(t *testing.T) {
	s := moduletest.New(t, roster.Module{}, register.Module{}, pep.Module{})
	alice := s.Login("alice@localhost/a")
	alice.Send(`<iq type="set" id="pub"><pubsub xmlns="http://jabber.org/protocol/pubsub"><publish node="urn:example:n"><item id="1"><x xmlns="urn:example"/></item></publish></pubsub></iq>`)
	if got := alice.Received(); len(got) == 0 || got[len(got)-1].Attrib("type") != "result" {
		t.Fatalf("publish: %v", got)
	}
	alice.Send(`<iq type="get" id="items"><pubsub xmlns="http://jabber.org/protocol/pubsub"><items node="urn:example:n"/></pubsub></iq>`)
	if got := alice.Received(); len(got) != 1 || got[0].Attrib("type") != "result" {
		t.Fatalf("items before removal: %v", got)
	}
	alice.Send(`<iq type="set" id="bye"><query xmlns="jabber:iq:register"><remove/></query></iq>`)
	alice.Received()
	again := s.Login("alice@localhost/b")
	again.Send(`<iq type="get" id="items2"><pubsub xmlns="http://jabber.org/protocol/pubsub"><items node="urn:example:n"/></pubsub></iq>`)
	got := again.Received()
	if len(got) != 1 || got[0].Attrib("type") != "error" || got[0].Child("jabber:client", "error").Child("urn:ietf:params:xml:ns:xmpp-stanzas", "item-not-found") == nil {
		t.Fatalf("the removed account's node survived: %v", got)
	}
}
