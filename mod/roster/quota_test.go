package roster_test

import (
	"strconv"
	"testing"

	"github.com/muctest/muctest/mod/roster"
	"github.com/muctest/muctest/moduletest"
	"github.com/muctest/muctest/quota"
)

const rc = "urn:ietf:params:xml:ns:xmpp-stanzas"

func rosterFull(kind, id, text string) string {
	return `<` + kind + ` type="error"` + id + `><error type="wait"><resource-constraint xmlns="` + rc + `"/><text xmlns="` + rc + `">` + text + `</text></error></` + kind + `>`
}

// TestRosterQuotas: a roster set, an outbound subscribe or pre-approval
// that would add an item past RosterItems, and an inbound subscription
// request past RosterPending, are refused resource-constraint (wait); the
// roster is unchanged, and removing items gives the state back.
func TestRosterQuotas(t *testing.T) {
	t.Run("items", func(t *testing.T) {
		s := moduletest.New(t, roster.Module{Limits: quota.Limits{RosterItems: 3}})
		a := s.Login("alice@localhost/a").In(t)
		for i := range 3 {
			a.Send(`<iq type="set" id="s` + strconv.Itoa(i) + `"><query xmlns="jabber:iq:roster"><item jid="c` + strconv.Itoa(i) + `@localhost"/></query></iq>`)
			a.Expect(`<iq type="result" id="s` + strconv.Itoa(i) + `"/>`)
		}
		size := s.Router.StateSize("alice")
		a.Send(`<iq type="set" id="over"><query xmlns="jabber:iq:roster"><item jid="c9@localhost"/></query></iq>`)
		a.Expect(rosterFull("iq", ` id="over"`, "Roster is full"))
		// Changing an item that exists still works.
		a.Send(`<iq type="set" id="rename"><query xmlns="jabber:iq:roster"><item jid="c0@localhost" name="Zero"/></query></iq>`)
		a.Expect(`<iq type="result" id="rename"/>`)
		a.Send(`<presence type="subscribe" to="c8@localhost"/>`)
		a.Expect(rosterFull("presence", ` from="c8@localhost"`, "Roster is full"))
		a.Send(`<presence type="subscribed" to="c7@localhost"/>`)
		a.Expect(rosterFull("presence", ` from="c7@localhost"`, "Roster is full"))
		a.Send(`<iq type="get" id="g"><query xmlns="jabber:iq:roster"/></iq>`)
		got := a.Received()
		if len(got) != 1 || len(got[0].Elements()[0].Elements()) != 3 {
			t.Fatalf("roster after refusals: %v", got)
		}
		if s.Router.StateSize("alice") < size {
			t.Errorf("state shrank after refusals")
		}
		for i := range 3 {
			a.Send(`<iq type="set" id="r"><query xmlns="jabber:iq:roster"><item jid="c` + strconv.Itoa(i) + `@localhost" subscription="remove"/></query></iq>`)
		}
		a.Received()
		if got := s.Router.StateSize("alice"); got != 0 {
			t.Errorf("state size %d after removing every item, want 0", got)
		}
	})
	t.Run("pending", func(t *testing.T) {
		s := moduletest.New(t, roster.Module{Limits: quota.Limits{RosterPending: 2}})
		var senders []*moduletest.Client
		for i := range 3 {
			senders = append(senders, s.Login("s"+strconv.Itoa(i)+"@localhost/r").In(t))
		}
		for _, c := range senders {
			c.Send(`<presence/>`)
			c.Received()
		}
		for _, c := range senders[:2] {
			c.Send(`<presence type="subscribe" to="bob@localhost"/>`)
			c.Received()
		}
		size := s.Router.StateSize("bob")
		senders[2].Send(`<presence type="subscribe" to="bob@localhost"/>`)
		got := senders[2].Received()
		if len(got) == 0 || got[len(got)-1].Attrib("type") != "error" {
			t.Fatalf("third request: %v, want an error", got)
		}
		if s.Router.StateSize("bob") != size {
			t.Errorf("state size changed by a refused request")
		}
		b := s.Login("bob@localhost/b").In(t)
		b.Send(`<presence/>`)
		n := 0
		for _, st := range b.Received() {
			if st.Attrib("type") == "subscribe" {
				n++
			}
		}
		if n != 2 {
			t.Errorf("bob got %d pending requests, want 2", n)
		}
		for _, c := range senders[:2] {
			b.Send(`<presence type="unsubscribed" to="` + c.JID.Bare().String() + `"/>`)
		}
		if got := s.Router.StateSize("bob"); got != 0 {
			t.Errorf("state size %d after refusing every request, want 0", got)
		}
	})
}
