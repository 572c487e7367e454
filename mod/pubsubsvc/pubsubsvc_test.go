package pubsubsvc

import (
	"strconv"
	"strings"
	"testing"

	"github.com/muctest/muctest/component"
	"github.com/muctest/muctest/xmlnode"
)

func newTest(t *testing.T) (*Service, *[]string) {
	t.Helper()
	var out []string
	n := 0
	s := New(Config{
		Domain: "pubsub.localhost", Admins: []string{"Admin@localhost"}, ExposePublisher: true,
		Router: component.RouterFunc(func(st *xmlnode.Element) { out = append(out, st.String()) }),
		NewID:  func() string { n++; return "id" + strconv.Itoa(n) },
	})
	return s, &out
}

func send(s *Service, from, to, st string) {
	el := xmlnode.MustParse(st)
	el.SetAttr("from", from)
	el.SetAttr("to", to)
	s.HandleStanza(el)
}

func TestService(t *testing.T) {
	s, out := newTest(t)
	const admin, juliet, dom = "admin@localhost/a", "juliet@localhost/j", "pubsub.localhost"
	steps := []struct {
		from, to, st string
		want         []string // substrings of each routed stanza, in order
	}{
		{admin, dom, `<iq xmlns="jabber:client" type="set" id="1"><pubsub xmlns="http://jabber.org/protocol/pubsub"><create node="n"/></pubsub></iq>`,
			[]string{`id="1" type="result"/>`}},
		{juliet, dom, `<iq xmlns="jabber:client" type="set" id="2"><pubsub xmlns="http://jabber.org/protocol/pubsub"><create node="m"/></pubsub></iq>`,
			[]string{`<forbidden `}},
		{admin, dom, `<iq xmlns="jabber:client" type="set" id="3"><pubsub xmlns="http://jabber.org/protocol/pubsub#owner"><configure node="n"><x xmlns="jabber:x:data" type="submit"><field var="pubsub#title"><value>News</value></field></x></configure></pubsub></iq>`,
			[]string{`id="3" type="result"/>`}},
		{admin, dom, `<iq xmlns="jabber:client" type="set" id="4"><pubsub xmlns="http://jabber.org/protocol/pubsub"><publish node="n"><item id="a"><e xmlns="urn:e"/></item></publish></pubsub></iq>`,
			[]string{`<publish node="n"><item id="a"/></publish>`}},
		{juliet, dom, `<iq xmlns="jabber:client" type="get" id="5"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`,
			[]string{`<identity category="pubsub" type="service" name="Prosody PubSub Service"/><feature var="http://jabber.org/protocol/disco#info"/>`}},
		{juliet, dom, `<iq xmlns="jabber:client" type="get" id="6"><query xmlns="http://jabber.org/protocol/disco#items"/></iq>`,
			[]string{`<query xmlns="http://jabber.org/protocol/disco#items"><item jid="pubsub.localhost" node="n" name="News"/></query>`}},
		{juliet, dom, `<iq xmlns="jabber:client" type="get" id="7"><query xmlns="http://jabber.org/protocol/disco#info" node="n"/></iq>`,
			[]string{`<query xmlns="http://jabber.org/protocol/disco#info" node="n"><identity category="pubsub" type="leaf"/><x xmlns="jabber:x:data" type="result">`}},
		{juliet, dom, `<iq xmlns="jabber:client" type="get" id="8"><query xmlns="http://jabber.org/protocol/disco#items" node="n"/></iq>`,
			[]string{`<item jid="pubsub.localhost" name="a"/>`}},
		{juliet, dom, `<iq xmlns="jabber:client" type="get" id="9"><query xmlns="http://jabber.org/protocol/disco#items" node="nope"/></iq>`,
			[]string{`<item-not-found `}},
		{juliet, dom, `<iq xmlns="jabber:client" type="get" id="10"><vCard xmlns="vcard-temp"/></iq>`, []string{`<service-unavailable `}},
		{juliet, "x@" + dom, `<iq xmlns="jabber:client" type="get" id="11"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`,
			[]string{`<service-unavailable `}},
		{juliet, dom, `<iq xmlns="jabber:client" type="get" id="12"/>`, []string{`<bad-request `}},
		// Nothing answers results, errors, messages or presence.
		{juliet, dom, `<iq xmlns="jabber:client" type="result" id="13"/>`, nil},
		{juliet, dom, `<message xmlns="jabber:client"><body>hi</body></message>`, nil},
		{juliet, dom, `<presence xmlns="jabber:client"/>`, nil},
	}
	for i, st := range steps {
		*out = nil
		send(s, st.from, st.to, st.st)
		if len(*out) != len(st.want) {
			t.Fatalf("step %d: routed %d stanzas, want %d: %v", i, len(*out), len(st.want), *out)
		}
		for j, w := range st.want {
			if !strings.Contains((*out)[j], w) {
				t.Errorf("step %d: %s\nlacks %s", i, (*out)[j], w)
			}
		}
	}
}

// TestLocalCreate checks Config.LocalDomain: accounts of the local domain
// create nodes and own what they create (and nothing else), remote users
// and look-alike domains stay forbidden, and without LocalDomain only
// admins create.
func TestLocalCreate(t *testing.T) {
	const dom = "pubsub.localhost"
	create := func(id, node string) string {
		return `<iq xmlns="jabber:client" type="set" id="` + id + `"><pubsub xmlns="http://jabber.org/protocol/pubsub"><create node="` + node + `"/></pubsub></iq>`
	}
	del := func(id, node string) string {
		return `<iq xmlns="jabber:client" type="set" id="` + id + `"><pubsub xmlns="http://jabber.org/protocol/pubsub#owner"><delete node="` + node + `"/></pubsub></iq>`
	}
	tests := []struct {
		name        string
		local       string
		from, st    string
		want        string
		wantAbsence string
	}{
		{"local account creates", "localhost", "juliet@localhost/j", create("1", "j"), `id="1" type="result"`, "forbidden"},
		{"upper-case domain in config", "LocalHost", "juliet@localhost/j", create("1", "j"), `id="1" type="result"`, "forbidden"},
		{"remote account", "localhost", "mallory@evil.example/m", create("2", "m"), "<forbidden ", ""},
		{"look-alike domain", "localhost", "mallory@xlocalhost/m", create("3", "m"), "<forbidden ", ""},
		{"subdomain", "localhost", "mallory@a.localhost/m", create("3", "m"), "<forbidden ", ""},
		{"off: only admins", "", "juliet@localhost/j", create("4", "j"), "<forbidden ", ""},
		{"off: admin creates", "", "admin@localhost/a", create("5", "a"), `id="5" type="result"`, "forbidden"},
		{"creating gives no rights on others' nodes", "localhost", "romeo@localhost/r", del("6", "admins"), "<forbidden ", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out []string
			s := New(Config{Domain: dom, Admins: []string{"admin@localhost"}, LocalDomain: tc.local,
				Router: component.RouterFunc(func(st *xmlnode.Element) { out = append(out, st.String()) })})
			send(s, "admin@localhost/a", dom, create("0", "admins"))
			out = nil
			send(s, tc.from, dom, tc.st)
			if len(out) != 1 || !strings.Contains(out[0], tc.want) || tc.wantAbsence != "" && strings.Contains(out[0], tc.wantAbsence) {
				t.Fatalf("got %q, want one reply with %q", out, tc.want)
			}
		})
	}
	// The creator owns its node: it may delete it.
	var out []string
	s := New(Config{Domain: dom, LocalDomain: "localhost", Router: component.RouterFunc(func(st *xmlnode.Element) { out = append(out, st.String()) })})
	send(s, "juliet@localhost/j", dom, create("1", "j"))
	send(s, "juliet@localhost/j", dom, del("2", "j"))
	if len(out) != 2 || !strings.Contains(out[1], `id="2" type="result"`) {
		t.Fatalf("creator deleting its node: %q", out)
	}
}
