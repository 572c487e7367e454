package vcard_test

import (
	"testing"

	"github.com/muctest/muctest/mod/vcard"
	"github.com/muctest/muctest/moduletest"
)

func TestVCard(t *testing.T) {
	s := moduletest.New(t, vcard.Module{})
	a := s.Login("alice@localhost/a")
	b := s.Login("bob@localhost/b")
	tests := []struct {
		name       string
		c          *moduletest.Client
		send, want string
	}{
		{"empty before set", b, `<iq type="get" id="v0" to="alice@localhost"><vCard xmlns="vcard-temp"/></iq>`,
			`<iq type="result" id="v0" from="alice@localhost"><vCard xmlns="vcard-temp"/></iq>`},
		{"owner sets", a, `<iq type="set" id="v1"><vCard xmlns="vcard-temp"><FN>Alice</FN></vCard></iq>`,
			`<iq type="result" id="v1"/>`},
		{"anyone reads", b, `<iq type="get" id="v2" to="alice@localhost"><vCard xmlns="vcard-temp"/></iq>`,
			`<iq type="result" id="v2" from="alice@localhost"><vCard xmlns="vcard-temp"><FN>Alice</FN></vCard></iq>`},
		{"nobody else sets", b, `<iq type="set" id="v3" to="alice@localhost"><vCard xmlns="vcard-temp"><FN>Mallory</FN></vCard></iq>`,
			`<iq type="error" id="v3"><error type="auth"><forbidden xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c.In(t)
			c.Send(tc.send)
			c.Expect(tc.want)
		})
	}
}

// TestPhotoMarker: available presence without the XEP-0153 marker gets
// one, broadcast and directed; one the client sent is kept as it is.
func TestPhotoMarker(t *testing.T) {
	s := moduletest.New(t, vcard.Module{})
	a := s.Login("alice@localhost/a")
	b := s.Login("bob@localhost/b")
	a.Send(`<presence/>`)
	a.Expect(`<presence from="alice@localhost/a"><x xmlns="vcard-temp:x:update"><photo/></x></presence>`)
	a.Send(`<presence to="bob@localhost/b"/>`)
	b.Expect(`<presence from="alice@localhost/a"><x xmlns="vcard-temp:x:update"><photo/></x></presence>`)
	a.Send(`<presence to="bob@localhost/b"><x xmlns="vcard-temp:x:update"><photo>abc</photo></x></presence>`)
	b.Expect(`<presence from="alice@localhost/a"><x xmlns="vcard-temp:x:update"><photo>abc</photo></x></presence>`)
	a.Send(`<presence type="unavailable" to="bob@localhost/b"/>`)
	b.Expect(`<presence type="unavailable" from="alice@localhost/a" to="bob@localhost/b" scansion:strict="true"/>`)
}
