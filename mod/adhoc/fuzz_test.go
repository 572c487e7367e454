package adhoc_test

import (
	"testing"

	"github.com/muctest/muctest/mod/adhoc"
	"github.com/muctest/muctest/moduletest"
	"github.com/muctest/muctest/xmlnode"
)

// FuzzCommand feeds arbitrary <command/> payloads from an admin: every
// request gets exactly one answer, a result or an error, and nothing
// panics.
func FuzzCommand(f *testing.F) {
	for _, seed := range []string{
		`<command xmlns="http://jabber.org/protocol/commands" node="ping" action="execute"/>`,
		`<command xmlns="http://jabber.org/protocol/commands" node="` + adhoc.NodeAnnounce + `"/>`,
		`<command xmlns="http://jabber.org/protocol/commands" node="` + adhoc.NodeDeleteUser + `" sessionid="x" action="complete"><x xmlns="jabber:x:data" type="submit"><field var="accountjids"><value>a@localhost</value></field></x></command>`,
		`<command xmlns="http://jabber.org/protocol/commands" node="` + adhoc.NodeOnlineUsersList + `" action="prev"/>`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, payload string) {
		p, err := xmlnode.Parse(payload)
		if err != nil || p.Name.Space != adhoc.NS || p.Name.Local != "command" {
			return
		}
		s := moduletest.New(t, adhoc.Module{Admins: []string{"admin@localhost"}})
		admin := s.Login("admin@localhost/a")
		iq := xmlnode.New("jabber:client", "iq", "type", "set", "id", "f", "to", "localhost").Append(p)
		admin.SendElement(iq)
		got := admin.Received()
		n := 0
		for _, st := range got {
			if st.Name.Local == "iq" && st.Attrib("id") == "f" {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d answers to %s: %v", n, payload, got)
		}
	})
}
