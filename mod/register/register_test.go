package register_test

import (
	"testing"
	"time"

	"github.com/muctest/muctest/mod/register"
	"github.com/muctest/muctest/mod/roster"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/moduletest"
)

const errGone = `<error type="cancel"><gone xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/><text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">User deleted</text></error>`

func TestLoggedInUser(t *testing.T) {
	s := moduletest.NewConfig(t, moduletest.Config{Modules: []module.Module{register.Module{}},
		Accounts: map[string]string{"alice": "old", "bob": "pw"}})
	alice := s.Login("alice@localhost/phone")
	tests := []struct{ name, send, want string }{
		{"get", `<iq type="get" id="1"><query xmlns="jabber:iq:register"/></iq>`,
			`<iq type="result" id="1"><query xmlns="jabber:iq:register" scansion:strict="true"><registered/><username>alice</username><password/></query></iq>`},
		{"change password", `<iq type="set" id="2" to="localhost"><query xmlns="jabber:iq:register"><username>alice</username><password>new</password></query></iq>`,
			`<iq type="result" id="2" from="localhost"/>`},
		{"someone else's password", `<iq type="set" id="3"><query xmlns="jabber:iq:register"><username>bob</username><password>x</password></query></iq>`,
			`<iq type="error" id="3"><error type="modify"><not-allowed xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`},
		{"no password", `<iq type="set" id="4"><query xmlns="jabber:iq:register"><username>alice</username></query></iq>`,
			`<iq type="error" id="4"><error type="modify"><bad-request xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := alice.In(t)
			c.Send(tc.send)
			c.Expect(tc.want)
		})
	}
}

func TestRemoveLeavesTombstone(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s := moduletest.New(t, roster.Module{}, register.Module{TombstoneTTL: time.Hour, Now: clock})
	romeo := s.Login("romeo@localhost/r")
	juliet := s.Login("juliet@localhost/j")
	other := s.Login("juliet@localhost/other")
	romeo.Send(`<iq type="get" id="r"><query xmlns="jabber:iq:roster"/></iq>`)
	romeo.Send(`<presence/>`)
	juliet.Send(`<presence/>`)
	romeo.Received()
	juliet.Received()
	other.Received()
	// Mutual subscription.
	romeo.Send(`<presence type="subscribe" to="juliet@localhost"/>`)
	juliet.Send(`<presence type="subscribed" to="romeo@localhost"/>`)
	juliet.Send(`<presence type="subscribe" to="romeo@localhost"/>`)
	romeo.Send(`<presence type="subscribed" to="juliet@localhost"/>`)
	romeo.Received()
	juliet.Received()
	other.Received()

	juliet.Send(`<iq type="set" id="bye"><query xmlns="jabber:iq:register"><remove/></query></iq>`)
	juliet.Expect(`<iq type="result" id="bye"/>`)
	if got := juliet.Closed(); got == "" {
		t.Errorf("removed account's session still open")
	}
	if got := other.Closed(); got == "" {
		t.Errorf("removed account's other session still open")
	}
	// Romeo hears Juliet go and the subscriptions end both ways.
	romeo.Expect(
		`<presence type="unavailable" from="juliet@localhost/j" to="romeo@localhost"/>`,
		`<presence type="unsubscribed" from="juliet@localhost" to="romeo@localhost"/>`,
		`<iq type="set"><query xmlns="jabber:iq:roster" ver="{scansion:any}"><item jid="juliet@localhost" subscription="from"/></query></iq>`,
		`<presence type="unsubscribe" from="juliet@localhost" to="romeo@localhost"/>`,
		`<iq type="set"><query xmlns="jabber:iq:roster" ver="{scansion:any}"><item jid="juliet@localhost" subscription="none"/></query></iq>`,
	)

	for _, tc := range []struct{ name, send, want string }{
		{"probe", `<presence type="probe" to="juliet@localhost"/>`,
			`<presence type="error" from="juliet@localhost">` + errGone + `</presence>`},
		{"message", `<message type="chat" to="juliet@localhost/j"><body>hi</body></message>`,
			`<message type="error" from="juliet@localhost/j">` + errGone + `</message>`},
		{"iq", `<iq type="get" id="v" to="juliet@localhost"><query xmlns="jabber:iq:version"/></iq>`,
			`<iq type="error" id="v" from="juliet@localhost">` + errGone + `</iq>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := romeo.In(t)
			c.Send(tc.send)
			if tc.name == "probe" {
				c.Expect(tc.want, `<presence type="unsubscribed" from="juliet@localhost"/>`)
			} else {
				c.Expect(tc.want)
			}
		})
	}
	romeo.Send(`<presence type="unavailable" to="juliet@localhost"/>`)
	romeo.ExpectNothing()

	// Logging in as the name again (any-password mode) puts it back in use.
	t.Run("revived", func(t *testing.T) {
		s := moduletest.New(t, register.Module{})
		a := s.Login("ghost@localhost/a")
		b := s.Login("bob@localhost/b")
		a.Send(`<iq type="set" id="bye"><query xmlns="jabber:iq:register"><remove/></query></iq>`)
		a.Expect(`<iq type="result" id="bye"/>`)
		b.Send(`<message type="chat" to="ghost@localhost"><body>1</body></message>`)
		b.Expect(`<message type="error" from="ghost@localhost">` + errGone + `</message>`)
		again := s.Login("ghost@localhost/again")
		b.Send(`<message type="chat" to="ghost@localhost/again"><body>2</body></message>`)
		b.ExpectNothing()
		again.Expect(`<message type="chat" from="bob@localhost/b"><body>2</body></message>`)
	})

	// After the tombstone's time, the name is an ordinary one again (here
	// an account without sessions nor offline storage).
	now = now.Add(2 * time.Hour)
	romeo.Send(`<message type="chat" to="juliet@localhost"><body>hi</body></message>`)
	romeo.Expect(`<message type="error" from="juliet@localhost"><error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></message>`)
}
