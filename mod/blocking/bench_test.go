package blocking_test

import (
	"strconv"
	"testing"

	"github.com/muctest/muctest/mod/blocking"
	"github.com/muctest/muctest/moduletest"
	"github.com/muctest/muctest/quota"
	"github.com/muctest/muctest/xmlnode"
)

// BenchmarkBlockAgainstFullList is one of the worst single stanzas under
// the router's lock that a blocklist allows: a block request of as many
// new JIDs as the quota allows, against a list already at the quota
// (refused), then the same request with JIDs already blocked (accepted,
// every item parsed and looked up), and a message checked against the full
// list.
func BenchmarkBlockAgainstFullList(b *testing.B) {
	max := quota.DefaultBlocklistItems
	s := moduletest.New(b, blocking.Module{})
	a := s.Login("alice@localhost/a")
	a.Send(`<iq type="set" id="fill"><block xmlns="urn:xmpp:blocking">` + blockItems(0, max) + `</block></iq>`)
	a.Received()
	over := `<iq xmlns="jabber:client" type="set" id="over"><block xmlns="urn:xmpp:blocking">` + blockItems(max, max) + `</block></iq>`
	again := `<iq xmlns="jabber:client" type="set" id="again"><block xmlns="urn:xmpp:blocking">` + blockItems(0, max) + `</block></iq>`
	for _, bc := range []struct{ name, stanza string }{
		{"refused", over},
		{"already-blocked", again},
		{"message", `<message xmlns="jabber:client" to="u` + strconv.Itoa(max-1) + `@example.com/r" type="chat"><body>x</body></message>`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			// Parsed once: the c2s reader parses a stanza before the
			// router's lock is taken, so only routing is measured.
			el, err := xmlnode.Parse(bc.stanza)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				b.StopTimer()
				st := el.Copy()
				b.StartTimer()
				a.SendElement(st)
				a.Received()
			}
		})
	}
	// The worst accepted request: the whole quota of new JIDs blocked at
	// once (each parsed), and unblocked at once.
	fill, _ := xmlnode.Parse(`<iq xmlns="jabber:client" type="set" id="f"><block xmlns="urn:xmpp:blocking">` + blockItems(5000, max) + `</block></iq>`)
	clear, _ := xmlnode.Parse(`<iq xmlns="jabber:client" type="set" id="c"><unblock xmlns="urn:xmpp:blocking"/></iq>`)
	a.SendElement(clear.Copy())
	a.Received()
	b.Run("block-quota-from-empty", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			st := fill.Copy()
			b.StartTimer()
			a.SendElement(st)
			b.StopTimer()
			a.Received()
			a.SendElement(clear.Copy())
			a.Received()
			b.StartTimer()
		}
	})
	b.Run("unblock-full-list", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			a.SendElement(fill.Copy())
			a.Received()
			st := clear.Copy()
			b.StartTimer()
			a.SendElement(st)
			a.Received()
		}
	})
}
