package hostile_test

// The cases issue 11's survey added to BenchmarkLockHeld: stanzas whose
// work under the router's lock grows with what an account's contacts,
// resources and PEP services hold, each at its default bound.

import (
	"fmt"
	"strings"
	"testing"

	"github.com/muctest/muctest/caps"
	"github.com/muctest/muctest/moduletest"
	"github.com/muctest/muctest/xmlnode"
)

// lockCase is one stanza BenchmarkLockHeld measures, sent by from.
type lockCase struct {
	name, stanza string
	from         *moduletest.Client
	// prep, when set, runs before each op, outside the timer, and
	// returns the stanza to send instead of stanza.
	prep func(b *testing.B, i int) *xmlnode.Element
	// after, when set, runs after each op, outside the timer, with what
	// from received: to put the state back for the next op.
	after func(b *testing.B, got []*xmlnode.Element)
}

const (
	nsTune = "http://jabber.org/protocol/tune"
	nsMood = "http://jabber.org/protocol/mood"
)

// discoInfo is a client's disco#info answer whose features +notify the
// nodes, with its XEP-0115 ver.
func discoInfo(notify ...string) (*xmlnode.Element, string) {
	q := xmlnode.New(caps.NSDiscoInfo, "query")
	q.AddChild(caps.NSDiscoInfo, "identity", "category", "client", "type", "pc")
	q.AddChild(caps.NSDiscoInfo, "feature", "var", caps.NSDiscoInfo)
	for _, n := range notify {
		q.AddChild(caps.NSDiscoInfo, "feature", "var", n+"+notify")
	}
	return q, caps.Ver(q)
}

// capsPresence is an available presence announcing ver.
func capsPresence(ver string) *xmlnode.Element {
	p := xmlnode.New("jabber:client", "presence")
	p.AddChild(caps.NS, "c", "hash", "sha-1", "node", "urn:bench", "ver", ver)
	return p
}

// answerCaps answers the caps queries in got that c was sent: those from
// own with a result carrying q (none when q is nil), every other one with
// an error.
func answerCaps(b *testing.B, c *moduletest.Client, got []*xmlnode.Element, own string, q *xmlnode.Element) {
	b.Helper()
	for _, el := range got {
		if el.Name.Local != "iq" || el.Attrib("type") != "get" {
			continue
		}
		if el.Attrib("from") == own {
			if q != nil {
				r := xmlnode.New("jabber:client", "iq", "type", "result", "id", el.Attrib("id"), "to", own)
				r.Append(q.Copy())
				c.SendElement(r)
			}
			continue
		}
		e := xmlnode.New("jabber:client", "iq", "type", "error", "id", el.Attrib("id"), "to", el.Attrib("from"))
		e.AddChild("jabber:client", "error", "type", "cancel").AddChild("urn:ietf:params:xml:ns:xmpp-stanzas", "service-unavailable")
		c.SendElement(e)
	}
	c.Received()
}

// surveyCases sets up the state of the survey's cases and returns them:
// every contact's caps +notify tune (one contact's answer cached for
// all) and each contact has published a tune and a mood; alice's caps
// +notify both, and her own answer taught every contact's service so;
// alice has 250 more PEP nodes, and 100 resources that fetched the
// blocklist.
func surveyCases(b *testing.B, s *moduletest.Server, alice *moduletest.Client, contacts []*moduletest.Client, send func(*moduletest.Client, string)) []lockCase {
	qV, v := discoInfo(nsTune)
	c0 := contacts[0]
	c0.SendElement(capsPresence(v))
	answerCaps(b, c0, c0.Received(), "alice@localhost", qV) // its own service's query too
	c0.SendElement(capsPresence(v))
	answerCaps(b, c0, c0.Received(), "c0@localhost", qV)
	for _, c := range contacts[1:] {
		c.SendElement(capsPresence(v))
		c.Received()
	}
	alice.Received()
	for i, c := range contacts {
		send(c, fmt.Sprintf(`<iq xmlns="jabber:client" type="set" id="t"><pubsub xmlns="http://jabber.org/protocol/pubsub"><publish node="%s"><item id="current"><tune xmlns="%s"><title>track %d</title></tune></item></publish></pubsub></iq>`, nsTune, nsTune, i))
		send(c, fmt.Sprintf(`<iq xmlns="jabber:client" type="set" id="m"><pubsub xmlns="http://jabber.org/protocol/pubsub"><publish node="%s"><item id="current"><mood xmlns="%s"><happy/><text>%d</text></mood></item></publish></pubsub></iq>`, nsMood, nsMood, i))
	}
	// ownCycle: alice announces caps nobody knows yet, every contact's
	// service asks, and only her own service's query is left unanswered
	// (answered with q when it is not nil).
	seq := 0
	ownCycle := func(q *xmlnode.Element) {
		seq++
		alice.SendElement(capsPresence(fmt.Sprintf("own%d=", seq)))
		answerCaps(b, alice, alice.Received(), "alice@localhost", q)
	}
	qTune, _ := discoInfo(nsTune)
	qMood, _ := discoInfo(nsMood)
	qBoth, w := discoInfo(nsTune, nsMood)
	ownCycle(qBoth) // w known, and every contact's service sends alice's bare JID tune and mood
	ownCycle(qTune) // her bare JID now wants tune only
	send(alice, `<presence xmlns="jabber:client"/>`)
	for i := range 250 {
		send(alice, fmt.Sprintf(`<iq xmlns="jabber:client" type="set" id="n"><pubsub xmlns="http://jabber.org/protocol/pubsub"><publish node="urn:test:n%d"><item id="current"><x xmlns="urn:test"/></item></publish></pubsub></iq>`, i))
	}
	var extra []*moduletest.Client
	for i := 1; i < 100; i++ { // quota.DefaultResources
		r := s.Login(fmt.Sprintf("alice@localhost/x%d", i))
		send(r, `<iq xmlns="jabber:client" type="get" id="b"><blocklist xmlns="urn:xmpp:blocking"/></iq>`)
		extra = append(extra, r)
	}
	drainExtra := func() {
		for _, r := range extra {
			r.Received()
		}
	}
	var blockAll strings.Builder
	blockAll.WriteString(`<iq xmlns="jabber:client" type="set" id="b" to="alice@localhost"><block xmlns="urn:xmpp:blocking">`)
	for i := range 1000 {
		fmt.Fprintf(&blockAll, `<item jid="u%d@example.com"/>`, i)
	}
	blockAll.WriteString(`</block></iq>`)
	const unblockAll = `<iq xmlns="jabber:client" type="set" id="u" to="alice@localhost"><unblock xmlns="urn:xmpp:blocking"/></iq>`
	// dora has 16 contacts, each with quota.DefaultResources available
	// resources: her presence is written 1,600 times, and the probes of
	// her initial presence are answered with as many presences.
	dora := s.Login("dora@localhost/d")
	send(dora, `<presence xmlns="jabber:client"/>`)
	var doras []*moduletest.Client
	for i := range 16 {
		dj := fmt.Sprintf("d%d@localhost", i)
		for r := range 100 {
			c := s.Login(fmt.Sprintf("%s/r%d", dj, r))
			send(c, `<presence xmlns="jabber:client"/>`)
			doras = append(doras, c)
		}
		send(dora, `<iq xmlns="jabber:client" type="set" id="r"><query xmlns="jabber:iq:roster"><item jid="`+dj+`"/></query></iq>`)
		send(dora, `<presence xmlns="jabber:client" type="subscribe" to="`+dj+`"/>`)
		send(doras[len(doras)-1], `<presence xmlns="jabber:client" type="subscribed" to="dora@localhost"/>`)
		send(doras[len(doras)-1], `<presence xmlns="jabber:client" type="subscribe" to="dora@localhost"/>`)
		send(dora, `<presence xmlns="jabber:client" type="subscribed" to="`+dj+`"/>`)
	}
	drainDoras := func(*testing.B, []*xmlnode.Element) {
		for _, c := range doras {
			c.Received()
		}
	}
	drainDoras(b, nil)
	dora.Received()
	return []lockCase{
		{name: "presence-update-to-16-contacts-of-100-resources", from: dora, stanza: `<presence xmlns="jabber:client"><show>away</show></presence>`, after: drainDoras},
		{name: "presence-initial-probes-16-contacts-of-100-resources", from: dora, stanza: `<presence xmlns="jabber:client"/>`,
			prep: func(b *testing.B, _ int) *xmlnode.Element {
				send(dora, `<presence xmlns="jabber:client" type="unavailable"/>`)
				drainDoras(b, nil)
				return nil
			},
			after: drainDoras},
		// A publish to a node every contact's caps +notify.
		{name: "pep-publish-to-1000-notify", from: alice, stanza: `<iq xmlns="jabber:client" type="set" id="g" to="alice@localhost"><pubsub xmlns="http://jabber.org/protocol/pubsub"><publish node="` + nsTune + `"><item id="current"><tune xmlns="` + nsTune + `"><title>mine</title></tune></item></publish></pubsub></iq>`},
		// Known caps +notify two nodes each contact published to: every
		// contact's service sends alice the last items (2,000).
		{name: "presence-known-caps-to-1000-contacts-with-items", from: alice, stanza: capsPresence(w).String(),
			after: func(*testing.B, []*xmlnode.Element) { send(alice, `<presence xmlns="jabber:client"/>`) }},
		// The same known caps again (a show change, the most common
		// presence): every contact's service has nothing to do.
		{name: "presence-same-caps-to-1000-contacts", from: alice,
			stanza: `<presence xmlns="jabber:client"><show>away</show><c xmlns="http://jabber.org/protocol/caps" hash="sha-1" node="urn:bench" ver="` + w + `"/></presence>`,
			prep: func(b *testing.B, i int) *xmlnode.Element {
				if i == 0 {
					alice.SendElement(capsPresence(w))
					alice.Received()
					for _, c := range contacts {
						c.Received()
					}
				}
				return nil
			}},
		// Alice's answer to her own service's query: every contact's
		// service learns what her bare JID wants (Prosody's shortcut) and
		// sends the last item it did not want before.
		{name: "caps-answer-own-to-1000-contacts", from: alice,
			prep: func(b *testing.B, i int) *xmlnode.Element {
				ownCycle(nil)
				q := qMood
				if i%2 == 1 {
					q = qTune
				}
				return xmlnode.New("jabber:client", "iq", "type", "result", "id", "disco", "to", "alice@localhost").Append(q.Copy())
			}},
		{name: "presence-unavailable-to-1000-contacts", from: alice, stanza: `<presence xmlns="jabber:client" type="unavailable"/>`,
			after: func(*testing.B, []*xmlnode.Element) { send(alice, `<presence xmlns="jabber:client"/>`) }},
		{name: "roster-set-in-1000", from: alice, stanza: `<iq xmlns="jabber:client" type="set" id="g" to="alice@localhost"><query xmlns="jabber:iq:roster"><item jid="c5@localhost" name="renamed"><group>g</group></item></query></iq>`},
		{name: "disco-items-account-252-nodes", from: c0, stanza: `<iq xmlns="jabber:client" type="get" id="g" to="alice@localhost"><query xmlns="http://jabber.org/protocol/disco#items"/></iq>`},
		// A blocklist push of 1,000 items to each of 100 resources.
		{name: "block-1000-push-to-100-resources", from: alice, stanza: blockAll.String(),
			prep: func(b *testing.B, _ int) *xmlnode.Element {
				send(alice, unblockAll)
				drainExtra()
				return nil
			},
			after: func(*testing.B, []*xmlnode.Element) { drainExtra() }},
		{name: "unblock-all-1000-push-to-100-resources", from: alice, stanza: unblockAll,
			after: func(*testing.B, []*xmlnode.Element) {
				send(alice, blockAll.String())
				drainExtra()
			}},
	}
}
