package register_test

import (
	"testing"

	"github.com/muctest/muctest/mod/register"
	"github.com/muctest/muctest/moduletest"
	"github.com/muctest/muctest/xmlnode"
)

// FuzzQuery feeds arbitrary jabber:iq:register queries from a logged-in
// user: each gets exactly one answer and nothing panics.
func FuzzQuery(f *testing.F) {
	for _, seed := range []string{
		`<query xmlns="jabber:iq:register"/>`,
		`<query xmlns="jabber:iq:register"><username>alice</username><password>x</password></query>`,
		`<query xmlns="jabber:iq:register"><remove/></query>`,
		`<query xmlns="jabber:iq:register"><username>Alice@localhost</username><password/></query>`,
	} {
		f.Add(seed, true)
	}
	f.Fuzz(func(t *testing.T, payload string, set bool) {
		p, err := xmlnode.Parse(payload)
		if err != nil || p.Name.Space != register.NS || p.Name.Local != "query" {
			return
		}
		s := moduletest.New(t, register.Module{})
		alice := s.Login("alice@localhost/a")
		typ := "get"
		if set {
			typ = "set"
		}
		alice.SendElement(xmlnode.New("jabber:client", "iq", "type", typ, "id", "f").Append(p))
		n := 0
		for _, st := range alice.Received() {
			if st.Name.Local == "iq" && st.Attrib("id") == "f" {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d answers to %s %s", n, typ, payload)
		}
	})
}
