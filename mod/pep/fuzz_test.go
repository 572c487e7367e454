package pep

import (
	"testing"

	"github.com/muctest/muctest/xmlnode"
)

// FuzzCore feeds presences and disco answers of any shape, from any
// address, to the core: nothing may panic, and the bounds on remembered
// recipients and cached vers hold.
func FuzzCore(f *testing.F) {
	f.Add("romeo@localhost/r", `<presence xmlns="jabber:client"><c xmlns="http://jabber.org/protocol/caps" hash="sha-1" node="n" ver="v"/></presence>`,
		`<query xmlns="http://jabber.org/protocol/disco#info"><feature var="urn:a+notify"/></query>`, true)
	f.Add("juliet@localhost/j", `<presence xmlns="jabber:client" type="unsubscribe"/>`, `<query xmlns="urn:other"/>`, false)
	f.Add("@@", `<presence xmlns="jabber:client" type="unavailable"/>`, `<query xmlns="http://jabber.org/protocol/disco#info"><x xmlns="jabber:x:data"><field var="FORM_TYPE"><value>t</value></field></x></query>`, false)
	f.Fuzz(func(t *testing.T, from, pres, answer string, self bool) {
		p, err := xmlnode.Parse(pres)
		if err != nil {
			return
		}
		q, err := xmlnode.Parse(answer)
		if err != nil {
			return
		}
		c := newCore()
		c.cfg.MaxRecipients, c.cfg.MaxCachedVers = 2, 2
		publish(c, romeo, romeoR, "urn:a", `<x xmlns="urn:x"/>`, "")
		for i, f := range []string{from, from + "1", from + "2"} {
			c.Presence(romeo, f, p, self)
			c.DiscoResult(romeo, f, q)
			c.Presence(romeo, f, presence("v"+string(rune('a'+i))), self)
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if a := c.accounts[romeo]; a != nil && (len(a.order) > 2 || len(a.interest) != len(a.order)) {
			t.Fatalf("recipients: %d in order, %d in the map", len(a.order), len(a.interest))
		}
		if len(c.vers) > 2 || len(c.vers) != len(c.verOrder) {
			t.Fatalf("vers: %d cached, %d in order", len(c.vers), len(c.verOrder))
		}
	})
}
