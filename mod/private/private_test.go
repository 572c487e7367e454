package private_test

import (
	"testing"

	"github.com/muctest/muctest/mod/private"
	"github.com/muctest/muctest/moduletest"
)

func TestPrivateStorage(t *testing.T) {
	s := moduletest.New(t, private.Module{})
	a := s.Login("alice@localhost/a")
	b := s.Login("bob@localhost/b")
	const stanzas = "urn:ietf:params:xml:ns:xmpp-stanzas"
	tests := []struct {
		name       string
		c          *moduletest.Client
		send, want string
	}{
		{"empty before set", a, `<iq type="get" id="p0"><query xmlns="jabber:iq:private"><storage xmlns="storage:bookmarks"/></query></iq>`,
			`<iq type="result" id="p0"><query xmlns="jabber:iq:private"><storage xmlns="storage:bookmarks"/></query></iq>`},
		{"set", a, `<iq type="set" id="p1"><query xmlns="jabber:iq:private"><storage xmlns="storage:bookmarks"><conference jid="r@conference.localhost"/></storage></query></iq>`,
			`<iq type="result" id="p1"/>`},
		{"get", a, `<iq type="get" id="p2"><query xmlns="jabber:iq:private"><storage xmlns="storage:bookmarks"/></query></iq>`,
			`<iq type="result" id="p2"><query xmlns="jabber:iq:private"><storage xmlns="storage:bookmarks"><conference jid="r@conference.localhost"/></storage></query></iq>`},
		{"other namespaces apart", a, `<iq type="get" id="p5"><query xmlns="jabber:iq:private"><prefs xmlns="urn:example"/></query></iq>`,
			`<iq type="result" id="p5"><query xmlns="jabber:iq:private"><prefs xmlns="urn:example"/></query></iq>`},
		{"nobody else", b, `<iq type="get" id="p3" to="alice@localhost"><query xmlns="jabber:iq:private"><storage xmlns="storage:bookmarks"/></query></iq>`,
			`<iq type="error" id="p3"><error type="cancel"><forbidden xmlns="` + stanzas + `"/></error></iq>`},
		{"jabber:client refused", a, `<iq type="set" id="p4"><query xmlns="jabber:iq:private"><x xmlns="jabber:client"/></query></iq>`,
			`<iq type="error" id="p4"><error type="modify"><not-acceptable xmlns="` + stanzas + `"/></error></iq>`},
		{"empty query", a, `<iq type="get" id="p6"><query xmlns="jabber:iq:private"/></iq>`,
			`<iq type="error" id="p6"><error type="modify"><bad-request xmlns="` + stanzas + `"/></error></iq>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c.In(t)
			c.Send(tc.send)
			c.Expect(tc.want)
		})
	}
}
