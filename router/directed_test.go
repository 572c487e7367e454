package router_test

import (
	"testing"

	"github.com/muctest/muctest/moduletest"
	"github.com/muctest/muctest/quota"
)

// TestDirectedPresenceQuota: a session's directed presence targets are
// bounded in number and in bytes, per session and in total
// (Quotas.DirectedPresences, DirectedBytes, DirectedTotalBytes):
// a new target past either is refused wait/resource-constraint and gets
// nothing, a target already known is not counted twice, one made
// unavailable frees its place, and going offline tells exactly the targets
// that were accepted and gives their bytes back to the server's total.
func TestDirectedPresenceQuota(t *testing.T) {
	for _, tc := range []struct {
		name   string
		quotas quota.Limits
	}{
		// Three targets fit; "bob@localhost/x" three times is 45 bytes.
		{"count", quota.Limits{DirectedPresences: 3}},
		{"bytes", quota.Limits{DirectedBytes: 45}},
		{"total", quota.Limits{DirectedTotalBytes: 45}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := moduletest.NewConfig(t, moduletest.Config{Quotas: tc.quotas})
			alice := s.Login("alice@localhost/a")
			bob1 := s.Login("bob@localhost/1")
			bob2 := s.Login("bob@localhost/2")
			bob3 := s.Login("bob@localhost/3")
			bob4 := s.Login("bob@localhost/4")
			for _, b := range []*moduletest.Client{bob1, bob2, bob3} {
				alice.Send(`<presence to="` + b.JID.String() + `"/>`)
				alice.Send(`<presence to="` + b.JID.String() + `"/>`) // known: not counted again
				b.Expect(`<presence from="alice@localhost/a" to="`+b.JID.String()+`"/>`,
					`<presence from="alice@localhost/a" to="`+b.JID.String()+`"/>`)
			}
			alice.Send(`<presence to="bob@localhost/4" id="p4"/>`)
			alice.Expect(`<presence type="error" id="p4" from="bob@localhost/4" to="alice@localhost/a"><error type="wait"><resource-constraint xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/><text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">Too many directed presences</text></error></presence>`)
			bob4.ExpectNothing()

			alice.Send(`<presence to="bob@localhost/2" type="unavailable"/>`)
			bob2.Expect(`<presence from="alice@localhost/a" to="bob@localhost/2" type="unavailable"/>`)
			alice.Send(`<presence to="bob@localhost/4"/>`)
			bob4.Expect(`<presence from="alice@localhost/a" to="bob@localhost/4"/>`)

			alice.Send(`<presence/>`)
			alice.Expect(`<presence from="alice@localhost/a"/>`)
			alice.Send(`<presence type="unavailable"/>`)
			alice.Expect(`<presence from="alice@localhost/a" type="unavailable"/>`)
			for _, b := range []*moduletest.Client{bob1, bob3, bob4} {
				b.Expect(`<presence from="alice@localhost/a" to="` + b.JID.String() + `" type="unavailable"/>`)
			}
			bob2.ExpectNothing()

			// What alice held is given back: another session has the room.
			carol := s.Login("carol@localhost/c")
			for _, b := range []*moduletest.Client{bob1, bob2, bob3} {
				carol.Send(`<presence to="` + b.JID.String() + `"/>`)
				b.Expect(`<presence from="carol@localhost/c" to="` + b.JID.String() + `"/>`)
			}
			carol.ExpectNothing()
		})
	}
}
