package pep

import (
	"strconv"
	"strings"
	"testing"

	"github.com/muctest/muctest/caps"
	"github.com/muctest/muctest/xmlnode"
)

// fakeEnv: every account exists except "ghost@localhost"; subs[a] are the
// contacts subscribed to a's presence.
type fakeEnv struct{ subs map[string][]string }

func (e fakeEnv) Exists(a string) bool { return a != "ghost@localhost" }
func (e fakeEnv) Subscribed(a, c string) bool {
	for _, s := range e.subs[a] {
		if s == c {
			return true
		}
	}
	return false
}
func (e fakeEnv) Groups(a, c string) ([]string, bool) { return nil, e.Subscribed(a, c) }
func (e fakeEnv) LocalSubscribers(a string) []string  { return e.subs[a] }

func newCore() *Core {
	n := 0
	return New(Config{
		Env:   fakeEnv{subs: map[string][]string{"romeo@localhost": {"juliet@localhost"}, "juliet@localhost": {"romeo@localhost"}}},
		NewID: func() string { n++; return "id" + strconv.Itoa(n) },
	})
}

const (
	romeo   = "romeo@localhost"
	romeoR  = "romeo@localhost/r"
	romeoP  = "romeo@localhost/phone"
	julietR = "juliet@localhost/j"
)

func presence(ver string) *xmlnode.Element {
	return xmlnode.MustParse(`<presence xmlns="jabber:client"><c xmlns="http://jabber.org/protocol/caps" hash="sha-1" node="http://x/" ver="` + ver + `"/></presence>`)
}

func query(features ...string) *xmlnode.Element {
	q := xmlnode.New("http://jabber.org/protocol/disco#info", "query")
	q.AddChild("http://jabber.org/protocol/disco#info", "identity", "category", "client", "type", "pc", "name", "T")
	for _, f := range features {
		q.AddChild("http://jabber.org/protocol/disco#info", "feature", "var", f)
	}
	return q
}

func publish(c *Core, acct, from, node, payload string, opts string) []string {
	iq := xmlnode.MustParse(`<iq xmlns="jabber:client" type="set" id="p"><pubsub xmlns="http://jabber.org/protocol/pubsub"><publish node="` +
		node + `"><item id="current">` + payload + `</item></publish>` + opts + `</pubsub></iq>`)
	iq.SetAttr("from", from)
	var out []string
	for _, o := range c.HandleIQ(acct, iq) {
		out = append(out, o.String())
	}
	return out
}

func strs(els []*xmlnode.Element) []string {
	var out []string
	for _, e := range els {
		out = append(out, e.String())
	}
	return out
}

// TestNickOnCaps is pep_nickname: a node published before presence
// reaches the resource once its caps say +notify, after one query.
func TestNickOnCaps(t *testing.T) {
	c := newCore()
	nick := `<nickname xmlns="http://jabber.org/protocol/nick"/>`
	if out := publish(c, romeo, romeoR, "http://jabber.org/protocol/nick", nick, ""); len(out) != 1 {
		t.Fatalf("publish with nobody interested: %v", out)
	}
	q := query("http://jabber.org/protocol/disco#info", "http://jabber.org/protocol/nick+notify")
	ver := "zzz" // the claimed ver; answers are cached by their computed one
	out := c.Presence(romeo, romeoR, presence(ver), true)
	if out.Query == nil || out.Query.String() != `<iq xmlns="jabber:client" from="romeo@localhost" to="romeo@localhost/r" id="disco" type="get">`+
		`<query xmlns="http://jabber.org/protocol/disco#info" node="http://x/#zzz"/></iq>` {
		t.Fatalf("query: %v", out.Query)
	}
	items := strs(c.DiscoResult(romeo, romeoR, q))
	want := `<message xmlns="jabber:client" from="romeo@localhost" type="headline" id="id1" to="romeo@localhost/r">` +
		`<event xmlns="http://jabber.org/protocol/pubsub#event"><items node="http://jabber.org/protocol/nick"><item id="current">` +
		nick + `</item></items></event></message>`
	if len(items) != 1 || items[0] != want {
		t.Fatalf("last item on caps:\n%v\nwant %s", items, want)
	}
	// A second resource with the same (now known) ver: no query, the item.
	out = c.Presence(romeo, romeoP, presence(caps.Ver(q)), true)
	if out.Query != nil || len(out.Items) != 1 || out.Items[0].Attrib("to") != romeoP {
		t.Fatalf("cached ver: %+v", out)
	}
	// The same presence again changes nothing.
	if out = c.Presence(romeo, romeoP, presence(caps.Ver(q)), true); out.Query != nil || len(out.Items) != 0 {
		t.Fatalf("repeated presence: %+v", out)
	}
	// A publish reaches both resources; after one goes offline, one.
	if out := publish(c, romeo, romeoR, "http://jabber.org/protocol/nick", nick, ""); len(out) != 3 {
		t.Fatalf("publish to two resources: %v", out)
	}
	c.Presence(romeo, romeoP, xmlnode.MustParse(`<presence xmlns="jabber:client" type="unavailable"/>`), true)
	if out := publish(c, romeo, romeoR, "http://jabber.org/protocol/nick", nick, ""); len(out) != 2 {
		t.Fatalf("publish after unavailable: %v", out)
	}
	// Presence without caps forgets the resource's interest.
	c.Presence(romeo, romeoR, xmlnode.MustParse(`<presence xmlns="jabber:client"/>`), true)
	if out := publish(c, romeo, romeoR, "http://jabber.org/protocol/nick", nick, ""); len(out) != 1 {
		t.Fatalf("publish after caps-less presence: %v", out)
	}
}

// TestContactsInterest is pep_publish_subscribe's core: a contact's
// services learn what the account wants from its own answer, access
// models filter, and a stranger's presence is ignored.
func TestContactsInterest(t *testing.T) {
	c := newCore()
	q := query("http://jabber.org/protocol/tune+notify", "http://jabber.org/protocol/mood+notify")
	c.Presence(romeo, romeoR, presence("v"), true)
	if items := c.DiscoResult(romeo, romeoR, q); len(items) != 0 {
		t.Fatalf("items with no nodes: %v", strs(items))
	}
	tune := `<tune xmlns="http://jabber.org/protocol/tune"/>`
	out := publish(c, "juliet@localhost", julietR, "http://jabber.org/protocol/tune", tune, "")
	if len(out) != 2 || !strings.Contains(out[0], `to="romeo@localhost"`) || strings.Contains(out[0], "publisher=") {
		t.Fatalf("tune to romeo's bare JID first, then the reply: %v", out)
	}
	mood := `<mood xmlns="http://jabber.org/protocol/mood"><happy/></mood>`
	out = publish(c, "juliet@localhost", julietR, "http://jabber.org/protocol/mood", mood,
		`<publish-options><x xmlns="jabber:x:data" type="submit"><field var="pubsub#access_model"><value>whitelist</value></field></x></publish-options>`)
	if len(out) != 1 {
		t.Fatalf("a whitelist node notified a contact: %v", out)
	}
	// Romeo answers Juliet's own query: his full JID gets the tune (new
	// to it), not the mood.
	c.Presence("juliet@localhost", romeoR, presence("v2"), false)
	items := strs(c.DiscoResult("juliet@localhost", romeoR, q))
	if len(items) != 1 || !strings.Contains(items[0], `to="romeo@localhost/r"`) || !strings.Contains(items[0], "tune") {
		t.Fatalf("last items on the contact's answer: %v", items)
	}
	// Now that his full JID asked, a publish reaches it once, not also
	// through his bare JID.
	out = publish(c, "juliet@localhost", julietR, "http://jabber.org/protocol/tune", tune, "")
	if len(out) != 2 || !strings.Contains(out[0], `to="romeo@localhost/r"`) {
		t.Fatalf("one notification to the resource: %v", out)
	}
	// A stranger's presence asks nothing and learns nothing.
	if out := c.Presence("juliet@localhost", "eve@localhost/e", presence("v3"), false); out.Query != nil || len(out.Items) != 0 {
		t.Fatalf("stranger: %+v", out)
	}
	// Unsubscribe forgets the contact: its resources and its bare JID.
	c.Presence("juliet@localhost", "romeo@localhost", xmlnode.MustParse(`<presence xmlns="jabber:client" type="unsubscribe"/>`), false)
	out = publish(c, "juliet@localhost", julietR, "http://jabber.org/protocol/tune", tune, "")
	if len(out) != 1 {
		t.Fatalf("after unsubscribe the contact's interest remains: %v", out)
	}
}

func TestNobody(t *testing.T) {
	c := newCore()
	if out := publish(c, "ghost@localhost", romeoR, "n", `<x xmlns="urn:x"/>`, ""); len(out) != 1 || !strings.Contains(out[0], "forbidden") {
		t.Fatalf("publish to a missing account: %v", out)
	}
	// A stranger's request to an account without PEP state is answered
	// and not remembered.
	if out := publish(c, "mercutio@localhost", romeoR, "n", `<x xmlns="urn:x"/>`, ""); len(out) != 1 || !strings.Contains(out[0], "forbidden") {
		t.Fatalf("publish to someone else's PEP: %v", out)
	}
	if c.existing("mercutio@localhost") != nil {
		t.Error("a stranger's request made PEP state")
	}
}
