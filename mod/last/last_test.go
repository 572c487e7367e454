package last_test

import (
	"testing"
	"time"

	"github.com/muctest/muctest/mod/last"
	"github.com/muctest/muctest/moduletest"
)

func TestLastActivity(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	s := moduletest.New(t, last.Module{Now: func() time.Time { return now }})
	a := s.Login("alice@localhost/a")
	b := s.Login("bob@localhost/b")

	now = now.Add(90 * time.Second)
	a.Send(`<iq type="get" id="l1" to="localhost"><query xmlns="jabber:iq:last"/></iq>`)
	a.Expect(`<iq type="result" id="l1" from="localhost"><query xmlns="jabber:iq:last" seconds="90"/></iq>`)
	a.Send(`<iq type="get" id="l2"><query xmlns="jabber:iq:last"/></iq>`)
	a.Expect(`<iq type="result" id="l2"><query xmlns="jabber:iq:last" seconds="0"/></iq>`)
	b.Send(`<iq type="get" id="l3" to="alice@localhost"><query xmlns="jabber:iq:last"/></iq>`)
	b.Expect(`<iq type="error" id="l3"><error type="auth"><forbidden xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`)

	a.Send(`<presence/>`)
	a.Send(`<presence type="unavailable"><status>gone fishing</status></presence>`)
	a.Received()
	now = now.Add(5 * time.Second)
	a.Send(`<iq type="get" id="l4"><query xmlns="jabber:iq:last"/></iq>`)
	a.Expect(`<iq type="result" id="l4"><query xmlns="jabber:iq:last" seconds="5">gone fishing</query></iq>`)

	// A dropped connection counts too, with the router's status.
	a.Close()
	now = now.Add(7 * time.Second)
	a2 := s.Login("alice@localhost/again")
	a2.Send(`<iq type="get" id="l5"><query xmlns="jabber:iq:last"/></iq>`)
	a2.Expect(`<iq type="result" id="l5"><query xmlns="jabber:iq:last" seconds="12">gone fishing</query></iq>`)
}
