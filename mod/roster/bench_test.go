package roster_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/muctest/muctest/mod/roster"
	"github.com/muctest/muctest/moduletest"
	"github.com/muctest/muctest/quota"
	"github.com/muctest/muctest/xmlnode"
)

// BenchmarkRosterGetAtQuota is the largest roster get the quotas allow:
// RosterItems items, each with a name of the longest length RFC 6121's
// limit here accepts, built under the router's lock. A roster set on the
// full roster (refused) is measured beside it.
func BenchmarkRosterGetAtQuota(b *testing.B) {
	s := moduletest.New(b, roster.Module{})
	a := s.Login("alice@localhost/a")
	name := strings.Repeat("n", 1000)
	for i := range quota.DefaultRosterItems {
		a.Send(`<iq type="set" id="s"><query xmlns="jabber:iq:roster"><item jid="c` + strconv.Itoa(i) + `@example.com" name="` + name + `"/></query></iq>`)
	}
	a.Received()
	b.Logf("roster state: %d bytes", s.Router.StateSize("alice"))
	for _, bc := range []struct{ name, stanza string }{
		{"get", `<iq xmlns="jabber:client" type="get" id="g"><query xmlns="jabber:iq:roster"/></iq>`},
		{"set-refused", `<iq xmlns="jabber:client" type="set" id="s"><query xmlns="jabber:iq:roster"><item jid="new@example.com"/></query></iq>`},
	} {
		el, err := xmlnode.Parse(bc.stanza)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				st := el.Copy()
				b.StartTimer()
				a.SendElement(st)
				a.Received()
			}
		})
	}
}
