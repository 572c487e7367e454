package private_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/muctest/muctest/mod/private"
	"github.com/muctest/muctest/moduletest"
	"github.com/muctest/muctest/quota"
)

func item(i int, text string) string {
	return `<iq type="set" id="s` + strconv.Itoa(i) + `"><query xmlns="jabber:iq:private"><e` + strconv.Itoa(i) + ` xmlns="x:q">` + text + `</e` + strconv.Itoa(i) + `></query></iq>`
}

// TestPrivateQuotas: an element over PrivateItemBytes gets not-acceptable,
// one more past the count, byte or account bounds resource-constraint
// (wait); what was stored is still there, and replacing an element with a
// small one gives the bytes back.
func TestPrivateQuotas(t *testing.T) {
	big := strings.Repeat("y", 1000)
	for _, tc := range []struct {
		name      string
		lim       quota.Limits
		fit       int
		cond, typ string
	}{
		{"item bytes", quota.Limits{PrivateItemBytes: 500}, 0, "not-acceptable", "modify"},
		{"items", quota.Limits{PrivateItems: 2}, 2, "resource-constraint", "wait"},
		{"bytes", quota.Limits{PrivateBytes: 2500}, 2, "resource-constraint", "wait"},
		{"account budget", quota.Limits{AccountBytes: 3500}, 3, "resource-constraint", "wait"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := moduletest.New(t, private.Module{Limits: tc.lim})
			a := s.Login("alice@localhost/a").In(t)
			for i := range tc.fit {
				a.Send(item(i, big))
				a.Expect(`<iq type="result" id="s` + strconv.Itoa(i) + `"/>`)
			}
			size := s.Router.StateSize("alice")
			a.Send(item(99, big))
			a.Expect(`<iq type="error" id="s99"><error type="` + tc.typ + `"><` + tc.cond + ` xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/><text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">{scansion:any}</text></error></iq>`)
			if got := s.Router.StateSize("alice"); got != size {
				t.Errorf("state size %d after a refused set, want %d", got, size)
			}
			for i := range tc.fit {
				n := strconv.Itoa(i)
				a.Send(`<iq type="get" id="g"><query xmlns="jabber:iq:private"><e` + n + ` xmlns="x:q"/></query></iq>`)
				a.Expect(`<iq type="result" id="g"><query xmlns="jabber:iq:private"><e` + n + ` xmlns="x:q">` + big + `</e` + n + `></query></iq>`)
				a.Send(item(i, ""))
				a.Expect(`<iq type="result" id="s` + n + `"/>`)
			}
			if got := s.Router.StateSize("alice"); got > 30*tc.fit {
				t.Errorf("state size %d after shrinking every element", got)
			}
		})
	}
}
