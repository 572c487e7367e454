package private_test

import (
	"strings"
	"testing"

	"github.com/muctest/muctest/mod/pep"
	"github.com/muctest/muctest/mod/private"
	"github.com/muctest/muctest/mod/vcard"
	"github.com/muctest/muctest/moduletest"
	"github.com/muctest/muctest/quota"
)

// TestLimitsPerServer: two servers in one process, one with small private
// XML and vCard quotas and one with large ones, both with mod/pep in front
// (which takes the owner's private and vCard requests and hands them back
// through private.Fallback and vcard.Admitter). Each server keeps its own
// limits, whichever registered last: the small one refuses what the large
// one stores, and the large one stores what the small one refuses.
func TestLimitsPerServer(t *testing.T) {
	small := quota.Limits{PrivateItemBytes: 500, VCardBytes: 500}
	large := quota.Limits{PrivateItemBytes: 64 << 10, VCardBytes: 64 << 10}
	servers := []struct {
		name string
		lim  quota.Limits
		ok   bool
	}{{"small", small, false}, {"large", large, true}}
	var made []*moduletest.Server
	for _, sv := range servers {
		made = append(made, moduletest.New(t, vcard.Module{Limits: sv.lim}, private.Module{Limits: sv.lim}, pep.Module{}))
	}
	big := strings.Repeat("y", 2000)
	// Each server is asked in turn, in both orders, so that neither the
	// first nor the last registered module's limits can pass for both.
	for _, order := range [][]int{{0, 1}, {1, 0}} {
		for _, i := range order {
			sv, s := servers[i], made[i]
			t.Run(sv.name, func(t *testing.T) {
				a := s.Login("alice@localhost/a").In(t)
				a.Send(`<iq type="set" id="p"><query xmlns="jabber:iq:private"><e xmlns="x:q">` + big + `</e></query></iq>`)
				vc := `<iq type="set" id="v"><vCard xmlns="vcard-temp"><FN>` + big + `</FN></vCard></iq>`
				if sv.ok {
					a.Expect(`<iq type="result" id="p"/>`)
					a.Send(vc)
					a.Expect(`<iq type="result" id="v"/>`)
				} else {
					a.Expect(`<iq type="error" id="p"><error type="modify"><not-acceptable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/><text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">Private XML element too large</text></error></iq>`)
					a.Send(vc)
					a.Expect(`<iq type="error" id="v"><error type="modify"><not-acceptable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/><text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">vCard too large</text></error></iq>`)
				}
			})
		}
	}
}
