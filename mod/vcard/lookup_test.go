package vcard_test

import (
	"encoding/xml"
	"strconv"
	"testing"

	"github.com/muctest/muctest/mod/vcard"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/moduletest"
)

// TestLookup: Lookup gives the stored wire form and whether it has a
// PHOTO of its own without parsing, and Parse gives the vCard back, as a
// converting module (the XEP-0084 avatar) uses them; a vCard get answered
// after unlocking is the stored vCard.
func TestLookup(t *testing.T) {
	probe := module.New("probe", func(r *module.Registrar) error {
		r.IQ(module.IQ{To: module.ToAccount, Type: module.Get, Payload: xml.Name{Space: "urn:example:probe", Local: "q"},
			Handle: func(q *module.Request) {
				wire, photo := vcard.Lookup(q.Account)
				res := q.Result()
				p := res.AddChild("urn:example:probe", "q").SetAttr("photo", strconv.FormatBool(photo))
				if card := vcard.Parse(wire); card != nil {
					p.Append(card)
				}
				q.Reply(res)
			}})
		return nil
	})
	s := moduletest.New(t, vcard.Module{}, probe)
	a := s.Login("alice@localhost/a")
	b := s.Login("bob@localhost/b")
	lookup := `<iq type="get" id="l" to="alice@localhost"><q xmlns="urn:example:probe"/></iq>`
	b.Send(lookup)
	b.Expect(`<iq type="result" id="l" from="alice@localhost"><q xmlns="urn:example:probe" photo="false"/></iq>`)
	for _, tc := range []struct{ card, photo string }{
		{`<vCard xmlns="vcard-temp"><FN>Alice</FN><PHOTO><EXTVAL>https://example.com/a.png</EXTVAL></PHOTO></vCard>`, "true"},
		{`<vCard xmlns="vcard-temp"><FN>Alice</FN></vCard>`, "false"},
		{`<vCard xmlns="vcard-temp"><FN>Alice</FN><PHOTO xmlns="urn:example:other"/></vCard>`, "false"},
	} {
		a.Send(`<iq type="set" id="s">` + tc.card + `</iq>`)
		a.Expect(`<iq type="result" id="s"/>`)
		b.Send(lookup)
		b.Expect(`<iq type="result" id="l" from="alice@localhost"><q xmlns="urn:example:probe" photo="` + tc.photo + `">` + tc.card + `</q></iq>`)
		b.Send(`<iq type="get" id="g" to="alice@localhost"><vCard xmlns="vcard-temp"/></iq>`)
		b.Expect(`<iq type="result" id="g" from="alice@localhost">` + tc.card + `</iq>`)
	}
	if vcard.Parse("") != nil {
		t.Error(`Parse("") is not nil`)
	}
}
