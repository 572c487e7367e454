package blocking_test

import (
	"testing"

	"github.com/muctest/muctest/mod/blocking"
	"github.com/muctest/muctest/moduletest"
	"github.com/muctest/muctest/quota"
)

// TestBlockPrepared: the items parsed before the router's lock answer as
// parsing them under it did: a block naming more items than any blocklist
// holds is refused resource-constraint unparsed, a malformed item
// jid-malformed unless a new item before it is past the quota, duplicates
// and items already blocked in another spelling count once, and the push
// names each normalised JID once.
func TestBlockPrepared(t *testing.T) {
	const full = `<error type="wait"><resource-constraint xmlns="` + stanzas + `"/><text xmlns="` + stanzas + `">Blocklist is full</text></error>`
	s := moduletest.New(t, blocking.Module{Limits: quota.Limits{BlocklistItems: 3}})
	a := s.Login("alice@localhost/a").In(t)
	a.Send(`<iq type="get" id="g"><blocklist xmlns="urn:xmpp:blocking"/></iq>`)
	a.Expect(`<iq type="result" id="g"><blocklist xmlns="urn:xmpp:blocking"/></iq>`)

	a.Send(`<iq type="set" id="many"><block xmlns="urn:xmpp:blocking">` + blockItems(0, 4) + `</block></iq>`)
	a.Expect(`<iq type="error" id="many">` + full + `</iq>`)
	a.Send(`<iq type="set" id="bad"><block xmlns="urn:xmpp:blocking"><item jid="u0@example.com"/><item jid="@@"/></block></iq>`)
	a.Expect(`<iq type="error" id="bad"><error type="modify"><jid-malformed xmlns="` + stanzas + `"/></error></iq>`)

	a.Send(`<iq type="set" id="b"><block xmlns="urn:xmpp:blocking"><item jid="U0@Example.com"/><item jid="u0@example.com"/><item jid="u1@example.com"/></block></iq>`)
	a.Expect(`<iq type="result" id="b"/>`,
		`<iq type="set" id="blocklist-push" to="alice@localhost/a"><block xmlns="urn:xmpp:blocking"><item jid="u0@example.com"/><item jid="u1@example.com"/></block></iq>`)
	// One place left: the first new item takes it, the second is past
	// the quota before the malformed third is looked at.
	a.Send(`<iq type="set" id="over"><block xmlns="urn:xmpp:blocking"><item jid="u1@example.com"/><item jid="u2@example.com"/><item jid="u3@example.com"/></block></iq>`)
	a.Expect(`<iq type="error" id="over">` + full + `</iq>`)
	a.Send(`<iq type="set" id="over2"><block xmlns="urn:xmpp:blocking"><item jid="u2@example.com"/><item jid="u3@example.com"/><item jid="@@"/></block></iq>`)
	a.Expect(`<iq type="error" id="over2">` + full + `</iq>`)
	a.Send(`<iq type="set" id="u"><unblock xmlns="urn:xmpp:blocking"><item jid="U1@EXAMPLE.COM"/><item jid="nobody@example.com"/></unblock></iq>`)
	a.Expect(`<iq type="result" id="u"/>`,
		`<iq type="set" id="blocklist-push" to="alice@localhost/a"><unblock xmlns="urn:xmpp:blocking"><item jid="u1@example.com"/><item jid="nobody@example.com"/></unblock></iq>`)
	a.Send(`<iq type="get" id="g2"><blocklist xmlns="urn:xmpp:blocking"/></iq>`)
	a.Expect(`<iq type="result" id="g2"><blocklist xmlns="urn:xmpp:blocking"><item jid="u0@example.com"/></blocklist></iq>`)
}
