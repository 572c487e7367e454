package blocking_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/muctest/muctest/mod/blocking"
	"github.com/muctest/muctest/moduletest"
	"github.com/muctest/muctest/quota"
)

func blockItems(from, n int) string {
	var b strings.Builder
	for i := from; i < from+n; i++ {
		b.WriteString(`<item jid="u` + strconv.Itoa(i) + `@example.com"/>`)
	}
	return b.String()
}

// TestBlocklistQuota: a block request that would take the list past
// BlocklistItems (or the account's budget) is refused resource-constraint
// (wait) and blocks none of its items; what was blocked stays blocked, a
// request naming only blocked JIDs still succeeds, and unblocking all gives
// the state back.
func TestBlocklistQuota(t *testing.T) {
	for _, tc := range []struct {
		name string
		lim  quota.Limits
	}{
		{"items", quota.Limits{BlocklistItems: 10}},
		{"account budget", quota.Limits{AccountBytes: 10 * (64 + 2*len("u0@example.com"))}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := moduletest.New(t, blocking.Module{Limits: tc.lim})
			a := s.Login("alice@localhost/a").In(t)
			a.Send(`<iq type="set" id="b1"><block xmlns="urn:xmpp:blocking">` + blockItems(0, 8) + `</block></iq>`)
			a.Expect(`<iq type="result" id="b1"/>`)
			size := s.Router.StateSize("alice")
			a.Send(`<iq type="set" id="b2"><block xmlns="urn:xmpp:blocking">` + blockItems(6, 5) + `</block></iq>`)
			a.Expect(`<iq type="error" id="b2"><error type="wait"><resource-constraint xmlns="` + stanzas + `"/><text xmlns="` + stanzas + `">Blocklist is full</text></error></iq>`)
			if got := s.Router.StateSize("alice"); got != size {
				t.Errorf("state size %d after a refused block, want %d", got, size)
			}
			a.Send(`<iq type="set" id="b3"><block xmlns="urn:xmpp:blocking">` + blockItems(0, 8) + blockItems(8, 2) + `</block></iq>`)
			a.Expect(`<iq type="result" id="b3"/>`)
			a.Send(`<iq type="get" id="g"><blocklist xmlns="urn:xmpp:blocking"/></iq>`)
			a.Expect(`<iq type="result" id="g"><blocklist xmlns="urn:xmpp:blocking">` + blockItems(0, 10) + `</blocklist></iq>`)
			a.Send(`<iq type="set" id="u"><unblock xmlns="urn:xmpp:blocking"/></iq>`)
			a.Received()
			if got := s.Router.StateSize("alice"); got != 0 {
				t.Errorf("state size %d after unblocking all, want 0", got)
			}
		})
	}
}
