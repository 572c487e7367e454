package contactinfo_test

import (
	"testing"

	"github.com/muctest/muctest/mod/contactinfo"
	"github.com/muctest/muctest/mod/disco"
	"github.com/muctest/muctest/moduletest"
)

func TestContactInfo(t *testing.T) {
	s := moduletest.New(t, disco.Module{}, contactinfo.Module{Addresses: map[string][]string{
		"admin": {"xmpp:admin@localhost", "mailto:admin@localhost"},
	}})
	alice := s.Login("alice@localhost/phone")
	alice.Send(`<iq type="get" id="1" to="localhost"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`)
	alice.Expect(`<iq type="result" id="1" from="localhost"><query xmlns="http://jabber.org/protocol/disco#info" scansion:strict="false">` +
		`<x xmlns="jabber:x:data" type="result"><field type="hidden" var="FORM_TYPE"><value>http://jabber.org/network/serverinfo</value></field>` +
		`<field type="list-multi" var="abuse-addresses"/>` +
		`<field type="list-multi" var="admin-addresses"><value>xmpp:admin@localhost</value><value>mailto:admin@localhost</value></field>` +
		`<field type="list-multi" var="feedback-addresses"/><field type="list-multi" var="sales-addresses"/>` +
		`<field type="list-multi" var="security-addresses"/><field type="list-multi" var="status-addresses"/>` +
		`<field type="list-multi" var="support-addresses"/></x></query></iq>`)
	// Accounts' disco#info carries no serverinfo form.
	alice.Send(`<iq type="get" id="2" to="alice@localhost"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`)
	got := alice.Received()
	if len(got) != 1 || got[0].Child("http://jabber.org/protocol/disco#info", "query").Child("jabber:x:data", "x") != nil {
		t.Fatalf("account info: %v", got)
	}
}
