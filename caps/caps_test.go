package caps

import (
	"strings"
	"testing"

	"github.com/muctest/muctest/xmlnode"
)

func TestVer(t *testing.T) {
	q := func(inner string) *xmlnode.Element {
		return xmlnode.MustParse(`<query xmlns="http://jabber.org/protocol/disco#info">` + inner + `</query>`)
	}
	tests := []struct {
		name, query, want string
	}{
		// XEP-0115 5.2, the simple example.
		{"xep simple", `<identity category="client" name="Exodus 0.9.1" type="pc"/>` +
			`<feature var="http://jabber.org/protocol/caps"/><feature var="http://jabber.org/protocol/disco#info"/>` +
			`<feature var="http://jabber.org/protocol/disco#items"/><feature var="http://jabber.org/protocol/muc"/>`,
			"QgayPKawpkPSDYmwT/WM94uAlu0="},
		// XEP-0115 5.3, the complex example (languages, a form).
		{"xep complex", `<identity xml:lang="en" category="client" name="Psi 0.11" type="pc"/>` +
			`<identity xml:lang="el" category="client" name="Ψ 0.11" type="pc"/>` +
			`<feature var="http://jabber.org/protocol/caps"/><feature var="http://jabber.org/protocol/disco#info"/>` +
			`<feature var="http://jabber.org/protocol/disco#items"/><feature var="http://jabber.org/protocol/muc"/>` +
			`<x xmlns="jabber:x:data" type="result"><field var="FORM_TYPE" type="hidden"><value>urn:xmpp:dataforms:softwareinfo</value></field>` +
			`<field var="ip_version"><value>ipv4</value><value>ipv6</value></field><field var="os"><value>Mac</value></field>` +
			`<field var="os_version"><value>10.5.1</value></field><field var="software"><value>Psi</value></field>` +
			`<field var="software_version"><value>0.11</value></field></x>`,
			"q07IKJEyjvHSyhy//CH0CxmKi8w="},
		// The client of Prosody's bookmarks2 script, order shuffled.
		{"scansion", `<feature var="urn:xmpp:bookmarks:1+notify"/><identity category="client" name="scansion" type="bot"/>` +
			`<feature var="http://jabber.org/protocol/disco#info"/>`,
			"CPuQARM1gCTq2f6/ZjHUzWL2QHg="},
	}
	for _, tc := range tests {
		if got := Ver(q(tc.query)); got != tc.want {
			t.Errorf("%s: ver %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestFromPresence(t *testing.T) {
	tests := []struct {
		in      string
		ok      bool
		key, qn string
	}{
		{`<presence><c xmlns="http://jabber.org/protocol/caps" hash="sha-1" node="n" ver="v"/></presence>`, true, "v", "n#v"},
		{`<presence><c xmlns="http://jabber.org/protocol/caps" node="n" ver="1.0" ext="a b"/></presence>`, true, "n#1.0#a b", "n#1.0"},
		{`<presence><c xmlns="http://jabber.org/protocol/caps" hash="md5" node="n" ver="v"/></presence>`, false, "", ""},
		{`<presence><c xmlns="http://jabber.org/protocol/caps" hash="sha-1" ver="v"/></presence>`, false, "", ""},
		{`<presence/>`, false, "", ""},
	}
	for _, tc := range tests {
		c, ok := FromPresence(xmlnode.MustParse(tc.in))
		if ok != tc.ok || (ok && (c.Key() != tc.key || c.QueryNode() != tc.qn)) {
			t.Errorf("%s: %+v %v", tc.in, c, ok)
		}
	}
	c, _ := FromPresence(xmlnode.MustParse(tests[0].in))
	if got := c.Query("a@b", "a@b/r", "disco").String(); got != `<iq xmlns="jabber:client" from="a@b" to="a@b/r" id="disco" type="get"><query xmlns="http://jabber.org/protocol/disco#info" node="n#v"/></iq>` {
		t.Errorf("query: %s", got)
	}
}

func TestNotify(t *testing.T) {
	q := xmlnode.MustParse(`<query xmlns="http://jabber.org/protocol/disco#info"><feature var="http://jabber.org/protocol/tune+notify"/>` +
		`<feature var="http://jabber.org/protocol/caps"/><feature var="+notify"/><feature var="urn:a+notify"/><feature var="urn:a+notify"/></query>`)
	if got := strings.Join(Notify(q), ","); got != "http://jabber.org/protocol/tune,urn:a" {
		t.Errorf("notify %s", got)
	}
}
