package hostile_test

import (
	"fmt"
	"testing"

	"github.com/muctest/muctest/muc"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/xmlnode"
)

// TestAffiliationFlood: a room's owner grants membership to 80 new JIDs
// and then invites 80 more into the members-only room (each invitation
// makes the invitee a member); MaxAffiliations (50) holds: the grants past
// it get resource-constraint (wait), the invitations add nobody, the
// member list stays within the bound, and a witness's round trips stay
// short throughout.
func TestAffiliationFlood(t *testing.T) {
	t.Parallel() // a server of its own, nothing process-wide measured (doc.go)
	const max, n = 50, 80
	e := newEnv(t, server.Config{AnyPassword: true, MUCLimits: muc.Limits{MaxAffiliations: max}})
	w := e.watch("watcher")
	mallory := e.dial("mallory", "laptop")
	const room = "club@conference.localhost"
	join(t, mallory, room, "m")
	configure(t, mallory, room, map[string]string{"muc#roomconfig_membersonly": "1", "muc#roomconfig_allowinvites": "1"})
	errs := flood(t, mallory, n, func(i int) *xmlnode.Element {
		q := xmlnode.New(nsMUCAdm, "query")
		q.AddChild(nsMUCAdm, "item", "affiliation", "member", "jid", fmt.Sprintf("m%d@example.com", i))
		return iqSet(q).SetAttr("to", room)
	})
	wantRefusals(t, errs, n, "wait", "resource-constraint")
	if want := n - (max - 1); len(errs) != want { // the owner is one of them
		t.Errorf("%d grants refused, want %d", len(errs), want)
	}
	flood(t, mallory, n, func(i int) *xmlnode.Element {
		m := xmlnode.New("jabber:client", "message", "to", room)
		m.AddChild(nsMUCUser, "x").AddChild(nsMUCUser, "invite", "to", fmt.Sprintf("i%d@example.com", i))
		return m
	})
	q := xmlnode.New(nsMUCAdm, "query")
	q.AddChild(nsMUCAdm, "item", "affiliation", "member")
	list := xmlnode.New("jabber:client", "iq", "type", "get", "id", "list", "to", room).Append(q)
	must(t, mallory.Send(list))
	for {
		st := recv(t, mallory)
		if st.Attrib("id") != "list" {
			continue
		}
		if got := len(st.Child(nsMUCAdm, "query").Elements()); got != max-1 {
			t.Fatalf("member list holds %d, want %d (MaxAffiliations less the owner)", got, max-1)
		}
		break
	}
	e.checkWitnesses()
	w.finish()
}
