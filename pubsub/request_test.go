package pubsub

import (
	"strings"
	"testing"

	"github.com/muctest/muctest/xmlnode"
)

func TestParseRequest(t *testing.T) {
	iq := func(typ, ns, inner string) string {
		return `<iq xmlns="jabber:client" type="` + typ + `" id="1"><pubsub xmlns="` + ns + `">` + inner + `</pubsub></iq>`
	}
	many := func(n int, s string) string { return strings.Repeat(s, n) }
	tests := []struct {
		name    string
		iq      string
		check   func(r *Request) bool
		wantErr string // type/condition[/pubsub-condition]
	}{
		{"items latest", iq("get", NS, `<items node="n" max_items="2"/>`),
			func(r *Request) bool { return r.Op == OpItems && r.Node == "n" && r.MaxItems == 2 }, ""},
		{"items by id", iq("get", NS, `<items node="n"><item id="a"/><item/><item id="b"/></items>`),
			func(r *Request) bool { return strings.Join(r.IDs, ",") == "a,b" }, ""},
		{"publish with options", iq("set", NS, `<publish node="n"><item id="a"><x xmlns="urn:x"/></item><item/></publish>`+
			`<publish-options><x xmlns="jabber:x:data" type="submit"><field var="pubsub#access_model"><value>open</value></field></x></publish-options>`),
			func(r *Request) bool {
				return r.Op == OpPublish && len(r.Items) == 2 && r.PublishOptions.first("pubsub#access_model") == "open"
			}, ""},
		{"retract notify", iq("set", NS, `<retract node="n" notify="true"><item id="a"/></retract>`),
			func(r *Request) bool { return r.Op == OpRetract && r.Notify && r.IDs[0] == "a" }, ""},
		{"subscribe normalises the jid", iq("set", NS, `<subscribe node="n" jid="Juliet@LocalHost/Balcony"/>`),
			func(r *Request) bool { return r.Op == OpSubscribe && r.JID == "juliet@localhost/Balcony" }, ""},
		{"subscribe bad jid", iq("set", NS, `<subscribe node="n" jid="@@"/>`),
			func(r *Request) bool { return r.BadJID }, ""},
		{"create and configure", iq("set", NS, `<create node="n"/><configure><x xmlns="jabber:x:data" type="submit"/></configure>`),
			func(r *Request) bool { return r.Op == OpCreate && r.Config != nil }, ""},
		{"create with empty configure", iq("set", NS, `<create/><configure/>`),
			func(r *Request) bool { return r.Op == OpCreate && r.Config == nil && r.Node == "" }, ""},
		{"owner affiliations set", iq("set", NSOwner, `<affiliations node="n"><affiliation jid="a@b" affiliation="publisher"/></affiliations>`),
			func(r *Request) bool {
				return r.Op == OpSetOwnerAffiliations && r.Entries[0] == Entry{"a@b", "publisher"}
			}, ""},
		{"owner delete", iq("set", NSOwner, `<delete node="n"/>`), func(r *Request) bool { return r.Op == OpDelete }, ""},
		{"owner default", iq("get", NSOwner, `<default/>`), func(r *Request) bool { return r.Op == OpDefault }, ""},

		{"no action", iq("set", NS, ``), nil, "cancel/bad-request"},
		{"no pubsub", `<iq xmlns="jabber:client" type="get" id="1"><query xmlns="urn:q"/></iq>`, nil, "modify/bad-request"},
		{"publish by get", iq("get", NS, `<publish node="n"/>`), nil, "cancel/feature-not-implemented/unsupported"},
		{"delete in the entity namespace", iq("set", NS, `<delete node="n"/>`), nil, "cancel/feature-not-implemented/unsupported"},
		{"action in another namespace", iq("set", NS, `<publish xmlns="urn:other" node="n"/>`), nil, "cancel/feature-not-implemented/unsupported"},
		{"result type", iq("result", NS, `<items node="n"/>`), nil, "modify/bad-request"},
		{"too many items", iq("set", NS, `<publish node="n">`+many(MaxPublishItems+1, `<item><x xmlns="urn:x"/></item>`)+`</publish>`),
			nil, "modify/policy-violation"},
		{"too many ids", iq("get", NS, `<items node="n">`+many(MaxRequestIDs+1, `<item id="a"/>`)+`</items>`), nil, "modify/policy-violation"},
		{"too many entries", iq("set", NSOwner, `<affiliations node="n">`+many(MaxEntries+1, `<affiliation jid="a@b" affiliation="member"/>`)+
			`</affiliations>`), nil, "modify/policy-violation"},
		{"node name too long", iq("get", NS, `<items node="`+strings.Repeat("n", MaxNodeNameLen+1)+`"/>`), nil, "modify/bad-request"},
		{"item id too long", iq("set", NS, `<publish node="n"><item id="`+strings.Repeat("i", MaxItemIDLen+1)+`"/></publish>`),
			nil, "modify/bad-request"},
		{"bad entry jid", iq("set", NSOwner, `<subscriptions node="n"><subscription jid="" subscription="subscribed"/></subscriptions>`),
			nil, "modify/bad-request/invalid-jid"},
		{"bad subscription state", iq("set", NSOwner, `<subscriptions node="n"><subscription jid="a@b" subscription="pending"/></subscriptions>`),
			nil, "modify/bad-request"},
		{"configure set without form", iq("set", NSOwner, `<configure node="n"/>`), nil, "modify/bad-request"},
		{"form field without var", iq("set", NSOwner, `<configure node="n"><x xmlns="jabber:x:data" type="submit"><field/></x></configure>`),
			nil, "modify/bad-request"},
		{"form with too many fields", iq("set", NSOwner, `<configure node="n"><x xmlns="jabber:x:data" type="submit">`+
			fieldsN(maxFormFields+1)+`</x></configure>`), nil, "modify/bad-request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			el := xmlnode.MustParse(tc.iq)
			r, err := ParseRequest(el)
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("parsed %+v, want %s", r, tc.wantErr)
				}
				if got := errorOf(ErrorReply(el, err).String()); got != tc.wantErr {
					t.Fatalf("error %s, want %s", got, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(r) {
				t.Fatalf("parsed %+v", r)
			}
		})
	}
}

func fieldsN(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(`<field var="f` + strings.Repeat("x", i) + `"/>`)
	}
	return b.String()
}

// FuzzHandleIQ feeds arbitrary pubsub payloads to the parser and then to
// a service holding a node: neither may panic, every request gets exactly
// one reply with its id, and the byte count stays that of the items held.
func FuzzHandleIQ(f *testing.F) {
	for _, s := range []string{
		`<pubsub xmlns="http://jabber.org/protocol/pubsub"><publish node="n"><item id="a"><x xmlns="urn:x"/></item></publish></pubsub>`,
		`<pubsub xmlns="http://jabber.org/protocol/pubsub"><publish node="n"><item><x xmlns="urn:x"/></item></publish><publish-options><x xmlns="jabber:x:data" type="submit"><field var="pubsub#max_items"><value>max</value></field></x></publish-options></pubsub>`,
		`<pubsub xmlns="http://jabber.org/protocol/pubsub"><items node="n" max_items="1"><item id="a"/></items></pubsub>`,
		`<pubsub xmlns="http://jabber.org/protocol/pubsub"><retract node="n" notify="1"><item id="a"/></retract></pubsub>`,
		`<pubsub xmlns="http://jabber.org/protocol/pubsub"><subscribe node="n" jid="j@localhost/r"/><options><x xmlns="jabber:x:data" type="submit"/></options></pubsub>`,
		`<pubsub xmlns="http://jabber.org/protocol/pubsub"><create/><configure><x xmlns="jabber:x:data" type="submit"><field var="pubsub#access_model"><value>whitelist</value></field></x></configure></pubsub>`,
		`<pubsub xmlns="http://jabber.org/protocol/pubsub#owner"><configure node="n"><x xmlns="jabber:x:data" type="submit"><field var="pubsub#max_items"><value>2</value></field></x></configure></pubsub>`,
		`<pubsub xmlns="http://jabber.org/protocol/pubsub#owner"><affiliations node="n"><affiliation jid="j@localhost" affiliation="outcast"/></affiliations></pubsub>`,
		`<pubsub xmlns="http://jabber.org/protocol/pubsub#owner"><subscriptions node="n"><subscription jid="j@localhost" subscription="subscribed"/></subscriptions></pubsub>`,
		`<pubsub xmlns="http://jabber.org/protocol/pubsub#owner"><purge node="n"/></pubsub>`,
		`<pubsub xmlns="http://jabber.org/protocol/pubsub#owner"><delete node="n"/></pubsub>`,
	} {
		f.Add("set", "romeo@localhost/r", s)
		f.Add("get", "juliet@localhost/j", s)
	}
	f.Fuzz(func(t *testing.T, typ, from, payload string) {
		p, err := xmlnode.Parse(payload)
		if err != nil {
			return
		}
		s := pep(romeoRoster(), func(string) []string { return []string{"friend@localhost/f"} })
		s.cfg.Quotas = Quotas{MaxNodes: 4, MaxItemBytes: 512, MaxNodeBytes: 2048, MaxServiceBytes: 4096, MaxSubscriptions: 4}
		mustOK(t, send(t, s, romeoSelf, publishIQ("n", "a", `<x xmlns="urn:x"/>`)))
		for i := 0; i < 2; i++ { // twice: the second meets the state the first left
			iq := xmlnode.New(nsClient, "iq", "type", typ, "id", "fz", "from", from, "to", "romeo@localhost")
			iq.Append(p)
			replies := 0
			for _, o := range s.HandleIQ(iq) {
				if o.Name.Local == "iq" {
					replies++
					if o.Attrib("id") != "fz" {
						t.Fatalf("reply with id %q", o.Attrib("id"))
					}
				}
			}
			if replies != 1 {
				t.Fatalf("%d replies", replies)
			}
			held := 0
			s.mu.Lock()
			for _, n := range s.nodes {
				sum := 0
				for _, it := range n.items {
					sum += it.size
				}
				if sum != n.bytes {
					t.Fatalf("node %q counts %d bytes, holds %d", n.name, n.bytes, sum)
				}
				if len(n.items) > s.maxItems(n.cfg) {
					t.Fatalf("node %q holds %d items, max %d", n.name, len(n.items), s.maxItems(n.cfg))
				}
				held += sum
			}
			if held != s.bytes || held > s.cfg.Quotas.MaxServiceBytes {
				t.Fatalf("service counts %d bytes, holds %d", s.bytes, held)
			}
			s.mu.Unlock()
		}
	})
}
