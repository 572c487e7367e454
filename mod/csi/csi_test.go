package csi_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/muctest/muctest/mod/csi"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/moduletest"
	"github.com/muctest/muctest/xmlnode"
)

// streams records the router's sessions, to drive their client state.
type streams map[string]module.Stream

func (s streams) Module() module.Module {
	return module.New("grab", func(r *module.Registrar) error {
		r.OnSessionBound(module.After, func(_ module.Context, ss module.Session) { s[ss.JID().String()] = ss.(module.Stream) })
		return nil
	})
}

func (s streams) set(m csi.Module, full string, inactive bool) {
	ss := s[full]
	ss.Do(func(module.Context) { m.Set(ss, inactive) })
}

const (
	state   = `<message from='bob@localhost/pc' to='alice@localhost/phone' type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`
	bodyMsg = `<message from='bob@localhost/pc' to='alice@localhost/phone' type='chat'><body>hi</body></message>`
)

func pres(show string) string {
	return fmt.Sprintf(`<presence from='bob@localhost/pc' to='alice@localhost/phone'><show>%s</show></presence>`, show)
}

func TestDeferral(t *testing.T) {
	m := csi.Module{Now: func() time.Time { return time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC) }}
	ss := streams{}
	s := moduletest.New(t, m, ss.Module())
	alice := s.Login("alice@localhost/phone")
	bob := s.Login("bob@localhost/pc")
	ss.set(m, "alice@localhost/phone", true)

	bob.Send(`<presence to='alice@localhost/phone'><show>away</show></presence>`)
	bob.Send(`<message to='alice@localhost/phone' type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`)
	bob.Send(`<presence to='alice@localhost/phone'><show>dnd</show></presence>`)
	alice.ExpectNothing()
	if n := ss["alice@localhost/phone"].State().Size(); n < 100 {
		t.Errorf("the session's footprint is %d bytes with two stanzas held", n)
	}
	// A body: the queue first (bob's latest presence only), then it.
	bob.Send(`<message to='alice@localhost/phone' type='chat'><body>hi</body></message>`)
	got := alice.Received()
	if len(got) != 3 || got[2].ChildText("jabber:client", "body") != "hi" {
		t.Fatalf("alice got %v", got)
	}
	for _, el := range got[:2] {
		if d := el.Child(csi.NSDelay, "delay"); d == nil || d.Attrib("from") != "alice@localhost" || d.Attrib("stamp") != "2026-12-01T10:00:00Z" {
			t.Errorf("held %s without the delay stamp", el)
		}
	}
	if got[2].Child(csi.NSDelay, "delay") != nil || got[1].ChildText("jabber:client", "show") != "dnd" {
		t.Errorf("alice got %v", got)
	}

	// Held again, then flushed by <active/>.
	bob.Send(`<presence to='alice@localhost/phone'><show>xa</show></presence>`)
	alice.ExpectNothing()
	ss.set(m, "alice@localhost/phone", false)
	alice.Expect(pres("xa"))
	// Active: everything at once.
	bob.Send(`<message to='alice@localhost/phone' type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`)
	alice.Expect(state)
	bob.ExpectNothing()
}

func TestOverflowFlushesInOrder(t *testing.T) {
	m := csi.Module{MaxQueue: 3}
	ss := streams{}
	s := moduletest.New(t, m, ss.Module())
	alice := s.Login("alice@localhost/phone")
	bob := s.Login("bob@localhost/pc")
	ss.set(m, "alice@localhost/phone", true)
	for range 3 {
		bob.Send(`<message to='alice@localhost/phone' type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`)
	}
	alice.ExpectNothing()
	bob.Send(`<message to='alice@localhost/phone' type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`)
	alice.Expect(state, state, state, state)
}

func TestImportant(t *testing.T) {
	for _, c := range []struct {
		st   string
		want bool
	}{
		{`<presence/>`, false},
		{`<presence type='unavailable'/>`, false},
		{`<presence type='subscribe'/>`, true},
		{`<iq type='get' id='1'/>`, true},
		{`<message><body>x</body></message>`, true},
		{`<message type='groupchat'><subject/></message>`, true},
		{`<message type='headline'><body>x</body></message>`, false},
		{`<message type='error'/>`, true},
		{`<message><active xmlns='http://jabber.org/protocol/chatstates'/></message>`, false},
		{`<message><received xmlns='urn:xmpp:receipts' id='x'/></message>`, false},
		{`<message><x xmlns='http://jabber.org/protocol/muc#user'><invite from='a@b'/></x></message>`, true},
		{`<message><received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client'><body>x</body></message></forwarded></received></message>`, true},
		{`<message><sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client'><gone xmlns='http://jabber.org/protocol/chatstates'/></message></forwarded></sent></message>`, true},
		{`<message><received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client'><gone xmlns='http://jabber.org/protocol/chatstates'/></message></forwarded></received></message>`, false},
		{`<message><propose xmlns='urn:xmpp:jingle-message:0' id='c'/></message>`, true},
	} {
		el, err := xmlnode.Parse(`<x xmlns='jabber:client'>` + c.st + `</x>`)
		if err != nil {
			t.Fatal(err)
		}
		if got := csi.Important(el.Elements()[0]); got != c.want {
			t.Errorf("Important(%s) = %v, want %v", c.st, got, c.want)
		}
	}
}

// TestClientActivityFlushes: a client that sends something is awake, so
// what was held goes out before the server acts on its stanza.
func TestClientActivityFlushes(t *testing.T) {
	m := csi.Module{}
	ss := streams{}
	s := moduletest.New(t, m, ss.Module())
	alice := s.Login("alice@localhost/phone")
	bob := s.Login("bob@localhost/pc")
	ss.set(m, "alice@localhost/phone", true)
	bob.Send(`<message to='alice@localhost/phone' type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`)
	alice.ExpectNothing()
	alice.Send(`<message to='bob@localhost/pc' type='chat'><active xmlns='http://jabber.org/protocol/chatstates'/></message>`)
	alice.Expect(state)
	bob.Expect(`<message from='alice@localhost/phone' to='bob@localhost/pc' type='chat'><active xmlns='http://jabber.org/protocol/chatstates'/></message>`)
	// Still inactive: the next one is held again.
	bob.Send(`<message to='alice@localhost/phone' type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`)
	alice.ExpectNothing()
}
