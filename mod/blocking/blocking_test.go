package blocking_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/muctest/muctest/mod/blocking"
	"github.com/muctest/muctest/mod/ping"
	"github.com/muctest/muctest/moduletest"
)

const stanzas = "urn:ietf:params:xml:ns:xmpp-stanzas"

func TestBlocking(t *testing.T) {
	s := moduletest.New(t, blocking.Module{}, ping.Module{})
	a := s.Login("alice@localhost/a")
	b := s.Login("bob@localhost/b")
	carol := s.Login("carol@localhost/c")
	a.Send("<presence/>")
	a.Expect(`<presence from="alice@localhost/a"/>`)

	a.Send(`<iq type="get" id="g"><blocklist xmlns="urn:xmpp:blocking"/></iq>`)
	a.Expect(`<iq type="result" id="g"><blocklist xmlns="urn:xmpp:blocking"/></iq>`)
	a.Send(`<iq type="set" id="s"><block xmlns="urn:xmpp:blocking"><item jid="bob@localhost"/></block></iq>`)
	a.Expect(`<iq type="result" id="s"/>`,
		`<iq type="set" id="blocklist-push" to="alice@localhost/a"><block xmlns="urn:xmpp:blocking"><item jid="bob@localhost"/></block></iq>`)

	tests := []struct {
		name       string
		from       *moduletest.Client
		send, want string
	}{
		{"inbound message", b, `<message to="alice@localhost" type="chat"><body>x</body></message>`,
			`<message type="error" from="alice@localhost" to="bob@localhost/b"><error type="cancel"><service-unavailable xmlns="` + stanzas + `"/></error></message>`},
		{"inbound iq", b, `<iq type="get" id="p" to="alice@localhost/a"><ping xmlns="urn:xmpp:ping"/></iq>`,
			`<iq type="error" id="p" from="alice@localhost/a"><error type="cancel"><service-unavailable xmlns="` + stanzas + `"/></error></iq>`},
		{"outbound message", a, `<message to="bob@localhost" type="chat"><body>y</body></message>`,
			`<message type="error" from="bob@localhost"><error type="cancel"><not-acceptable xmlns="` + stanzas + `"/><text xmlns="` + stanzas + `">You have blocked this JID</text><blocked xmlns="urn:xmpp:blocking:errors"/></error></message>`},
		{"outbound iq", a, `<iq type="get" id="q" to="bob@localhost/b"><ping xmlns="urn:xmpp:ping"/></iq>`,
			`<iq type="error" id="q" from="bob@localhost/b"><error type="cancel"><not-acceptable xmlns="` + stanzas + `"/></error></iq>`},
		{"not for others", carol, `<iq type="get" id="o" to="alice@localhost"><blocklist xmlns="urn:xmpp:blocking"/></iq>`,
			`<iq type="error" id="o" from="alice@localhost"><error type="cancel"><not-allowed xmlns="` + stanzas + `"/></error></iq>`},
		{"empty block", a, `<iq type="set" id="e"><block xmlns="urn:xmpp:blocking"/></iq>`,
			`<iq type="error" id="e"><error type="modify"><bad-request xmlns="` + stanzas + `"/></error></iq>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.from.In(t)
			c.Send(tc.send)
			c.Expect(tc.want)
		})
	}
	// Presence is dropped both ways.
	b.Send(`<presence to="alice@localhost"/>`)
	a.Send(`<presence to="bob@localhost/b"/>`)
	b.ExpectNothing()
	a.ExpectNothing()

	a.Send(`<iq type="set" id="u"><unblock xmlns="urn:xmpp:blocking"/></iq>`)
	a.Expect(`<iq type="result" id="u"/>`,
		`<iq type="set" id="blocklist-push"><unblock xmlns="urn:xmpp:blocking"/></iq>`)
	b.Send(`<message to="alice@localhost" type="chat"><body>z</body></message>`)
	a.Expect(`<message from="bob@localhost/b" type="chat"><body>z</body></message>`)
}

// TestPushToEveryResource: a change too large for one span of the router's
// lock (1,000 items to 10 resources, 10 spans) still reaches every resource that
// fetched the list, once, whole, and the requester after its result; a
// resource that did not fetch the list gets nothing. The same wire as when
// every push went out in the request's span.
func TestPushToEveryResource(t *testing.T) {
	s := moduletest.New(t, blocking.Module{})
	var rs []*moduletest.Client
	for i := range 10 {
		r := s.Login("alice@localhost/r" + strconv.Itoa(i))
		r.Send(`<iq type="get" id="g"><blocklist xmlns="urn:xmpp:blocking"/></iq>`)
		r.Received()
		rs = append(rs, r)
	}
	quiet := s.Login("alice@localhost/quiet")
	var items strings.Builder
	for i := range 1000 {
		items.WriteString(`<item jid="u` + strconv.Itoa(i) + `@example.com"/>`)
	}
	push := func(to string) string {
		return `<iq type="set" id="blocklist-push" to="` + to + `"><block xmlns="urn:xmpp:blocking">` + items.String() + `</block></iq>`
	}
	rs[7].Send(`<iq type="set" id="b"><block xmlns="urn:xmpp:blocking">` + items.String() + `</block></iq>`)
	for i, r := range rs {
		if i == 7 {
			r.Expect(`<iq type="result" id="b"/>`, push("alice@localhost/r7"))
			continue
		}
		r.Expect(push("alice@localhost/r" + strconv.Itoa(i)))
	}
	quiet.ExpectNothing()
}
