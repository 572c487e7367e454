package vcard_test

import (
	"strings"
	"testing"

	"github.com/muctest/muctest/mod/vcard"
	"github.com/muctest/muctest/moduletest"
	"github.com/muctest/muctest/quota"
)

// TestVCardQuota: a vCard over VCardBytes gets not-acceptable, one over the
// account's budget resource-constraint (wait), and the old vCard stays.
func TestVCardQuota(t *testing.T) {
	for _, tc := range []struct {
		name, typ, cond string
		lim             quota.Limits
	}{
		{"vcard bytes", "modify", "not-acceptable", quota.Limits{VCardBytes: 1000}},
		{"account budget", "wait", "resource-constraint", quota.Limits{AccountBytes: 1000}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := moduletest.New(t, vcard.Module{Limits: tc.lim})
			a := s.Login("alice@localhost/a").In(t)
			a.Send(`<iq type="set" id="1"><vCard xmlns="vcard-temp"><FN>Alice</FN></vCard></iq>`)
			a.Expect(`<iq type="result" id="1"/>`)
			size := s.Router.StateSize("alice")
			a.Send(`<iq type="set" id="2"><vCard xmlns="vcard-temp"><FN>` + strings.Repeat("A", 2000) + `</FN></vCard></iq>`)
			a.Expect(`<iq type="error" id="2"><error type="` + tc.typ + `"><` + tc.cond + ` xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/><text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">{scansion:any}</text></error></iq>`)
			a.Send(`<iq type="get" id="3" to="alice@localhost"><vCard xmlns="vcard-temp"/></iq>`)
			a.Expect(`<iq type="result" id="3" from="alice@localhost"><vCard xmlns="vcard-temp"><FN>Alice</FN></vCard></iq>`)
			if got := s.Router.StateSize("alice"); got != size {
				t.Errorf("state size %d after a refused set, want %d", got, size)
			}
		})
	}
}
