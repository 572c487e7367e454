package hostile_test

import (
	"fmt"
	"testing"

	"github.com/muctest/muctest/client"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/xmlnode"
)

const (
	den  = "den@conference.localhost"  // an open room owned by owner
	club = "club@conference.localhost" // a members-only room owned by owner
)

// until sends raw and reads c's stanzas until one with the given id,
// skipping presence and messages the room sends meanwhile.
func until(t testing.TB, c *client.Conn, raw, id string) *xmlnode.Element {
	t.Helper()
	must(t, c.SendRaw([]byte(raw)))
	for {
		st := recv(t, c)
		if st.Attrib("id") == id {
			return st
		}
	}
}

// join enters room as nick and waits for the self-presence (status 110).
func join(t testing.TB, c *client.Conn, room, nick string) {
	t.Helper()
	must(t, c.SendRaw([]byte(`<presence to='`+room+`/`+nick+`'><x xmlns='`+nsMUC+`'/></presence>`)))
	for {
		st := recv(t, c)
		if st.Name.Local == "presence" && st.Attrib("from") == room+"/"+nick {
			if st.Attrib("type") == "error" {
				t.Fatalf("join %s/%s: %s", room, nick, st)
			}
			for _, s := range st.Child(nsMUCUser, "x").ChildrenNamed(nsMUCUser, "status") {
				if s.Attrib("code") == "110" {
					return
				}
			}
		}
	}
}

// configure submits room's owner form with the given fields.
func configure(t testing.TB, c *client.Conn, room string, fields map[string]string) {
	t.Helper()
	f := ""
	for k, v := range fields {
		f += `<field var='` + k + `'><value>` + v + `</value></field>`
	}
	r := until(t, c, `<iq type='set' id='cfg' to='`+room+`'><query xmlns='`+nsMUCOwn+`'><x xmlns='jabber:x:data' type='submit'>`+
		`<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>`+f+`</x></query></iq>`, "cfg")
	if r.Attrib("type") != "result" {
		t.Fatalf("configure %s: %s", room, r)
	}
}

// TestMUCRefusals sends XEP-0045 requests from those not allowed to make
// them, and JIDs that do not parse where the service reads one. Each gets
// the error XEP-0045 names (as Prosody 0.12 answers it where the XEP leaves
// the choice), and the witnesses see no disruption.
func TestMUCRefusals(t *testing.T) {
	t.Parallel() // a server of its own, nothing process-wide measured (doc.go)
	e := newEnv(t, server.Config{})
	owner := e.dial("owner", "desk")
	mallory := e.dial("mallory", "laptop")
	eve := e.dial("eve", "phone")

	join(t, owner, den, "owner")
	configure(t, owner, den, nil)
	join(t, owner, club, "owner")
	configure(t, owner, club, map[string]string{"muc#roomconfig_membersonly": "1"})
	if r := until(t, owner, `<iq type='set' id='mem' to='`+club+`'><query xmlns='`+nsMUCAdm+`'><item jid='mallory@localhost' affiliation='member'/></query></iq>`, "mem"); r.Attrib("type") != "result" {
		t.Fatalf("make mallory a member: %s", r)
	}
	if r := until(t, owner, `<iq type='set' id='ban' to='`+den+`'><query xmlns='`+nsMUCAdm+`'><item jid='eve@localhost' affiliation='outcast'/></query></iq>`, "ban"); r.Attrib("type") != "result" {
		t.Fatalf("ban eve: %s", r)
	}
	join(t, mallory, den, "mallory")
	join(t, mallory, club, "mallory")

	cases := []struct {
		name      string
		who       *client.Conn
		send      string // %[1]s is the stanza id
		typ, cond string
	}{
		// Owner-only requests (XEP-0045 section 10).
		{"config-get-by-participant", mallory, `<iq type='get' id='%s' to='` + den + `'><query xmlns='` + nsMUCOwn + `'/></iq>`, "auth", "forbidden"},
		{"config-set-by-participant", mallory, `<iq type='set' id='%s' to='` + den + `'><query xmlns='` + nsMUCOwn + `'><x xmlns='jabber:x:data' type='submit'><field var='muc#roomconfig_persistentroom'><value>1</value></field></x></query></iq>`, "auth", "forbidden"},
		{"config-get-by-outsider", eve, `<iq type='get' id='%s' to='` + club + `'><query xmlns='` + nsMUCOwn + `'/></iq>`, "auth", "forbidden"},
		{"destroy-by-participant", mallory, `<iq type='set' id='%s' to='` + den + `'><query xmlns='` + nsMUCOwn + `'><destroy/></query></iq>`, "auth", "forbidden"},

		// Admin requests (XEP-0045 sections 8 and 9): Prosody answers a
		// change the actor may not make with not-allowed, a list it may
		// not see with forbidden.
		{"grant-self-owner", mallory, `<iq type='set' id='%s' to='` + den + `'><query xmlns='` + nsMUCAdm + `'><item jid='mallory@localhost' affiliation='owner'/></query></iq>`, "cancel", "not-allowed"},
		{"ban-owner", mallory, `<iq type='set' id='%s' to='` + den + `'><query xmlns='` + nsMUCAdm + `'><item jid='owner@localhost' affiliation='outcast'/></query></iq>`, "cancel", "not-allowed"},
		{"kick-owner", mallory, `<iq type='set' id='%s' to='` + den + `'><query xmlns='` + nsMUCAdm + `'><item nick='owner' role='none'/></query></iq>`, "cancel", "not-allowed"},
		{"grant-self-moderator", mallory, `<iq type='set' id='%s' to='` + den + `'><query xmlns='` + nsMUCAdm + `'><item nick='mallory' role='moderator'/></query></iq>`, "cancel", "not-allowed"},
		{"outcast-list", mallory, `<iq type='get' id='%s' to='` + den + `'><query xmlns='` + nsMUCAdm + `'><item affiliation='outcast'/></query></iq>`, "auth", "forbidden"},
		{"moderator-list", mallory, `<iq type='get' id='%s' to='` + den + `'><query xmlns='` + nsMUCAdm + `'><item role='moderator'/></query></iq>`, "auth", "forbidden"},
		{"empty-admin-query", mallory, `<iq type='set' id='%s' to='` + den + `'><query xmlns='` + nsMUCAdm + `'/></iq>`, "cancel", "bad-request"},

		// Invitations (XEP-0045 section 7.8.2): members may not invite to
		// a members-only room unless the owner allows it.
		{"invite-by-member", mallory, `<message id='%s' to='` + club + `'><x xmlns='` + nsMUCUser + `'><invite to='eve@localhost'/></x></message>`, "auth", "forbidden"},

		// Entering (XEP-0045 section 7.2).
		{"join-members-only", eve, `<presence id='%s' to='` + club + `/eve'><x xmlns='` + nsMUC + `'/></presence>`, "auth", "registration-required"},
		{"join-banned", eve, `<presence id='%s' to='` + den + `/eve'><x xmlns='` + nsMUC + `'/></presence>`, "auth", "forbidden"},
		{"nick-taken", mallory, `<presence id='%s' to='` + den + `/owner'/>`, "cancel", "conflict"},

		// Speaking without being there (XEP-0045 section 7.4).
		{"groupchat-by-outsider", eve, `<message id='%s' type='groupchat' to='` + den + `'><body>spam</body></message>`, "cancel", "not-acceptable"},
		{"subject-by-participant", mallory, `<message id='%s' type='groupchat' to='` + den + `'><subject>pwned</subject></message>`, "auth", "forbidden"},
		{"pm-to-nobody", mallory, `<message id='%s' type='chat' to='` + den + `/ghost'><body>hi</body></message>`, "cancel", "item-not-found"},

		// Malformed JIDs wherever the service reads one.
		{"invite-to-malformed", owner, `<message id='%s' to='` + den + `'><x xmlns='` + nsMUCUser + `'><invite to='@@'/></x></message>`, "cancel", "jid-malformed"},
		// A missing "to" is a missing attribute rather than a malformed JID.
		{"invite-to-empty-label", owner, `<message id='%s' to='` + den + `'><x xmlns='` + nsMUCUser + `'><invite to='eve@localhost..'/></x></message>`, "cancel", "jid-malformed"},
		{"invite-to-empty", owner, `<message id='%s' to='` + den + `'><x xmlns='` + nsMUCUser + `'><invite/></x></message>`, "", "bad-request"},
		{"decline-to-malformed", eve, `<message id='%s' to='` + den + `'><x xmlns='` + nsMUCUser + `'><decline to='a@b@c'/></x></message>`, "cancel", "jid-malformed"},
		{"item-jid-malformed", owner, `<iq type='set' id='%s' to='` + den + `'><query xmlns='` + nsMUCAdm + `'><item jid='a@b@c' affiliation='member'/></query></iq>`, "modify", "jid-malformed"},
		{"item-jid-empty-local", owner, `<iq type='set' id='%s' to='` + den + `'><query xmlns='` + nsMUCAdm + `'><item jid='@localhost' affiliation='member'/></query></iq>`, "modify", "jid-malformed"},
		{"item-jid-full", owner, `<iq type='set' id='%s' to='` + den + `'><query xmlns='` + nsMUCAdm + `'><item jid='eve@localhost/phone' affiliation='member'/></query></iq>`, "modify", "jid-malformed"},
		{"item-nick-malformed", owner, `<iq type='set' id='%s' to='` + den + `'><query xmlns='` + nsMUCAdm + `'><item nick='a&#9;b' role='none'/></query></iq>`, "modify", "jid-malformed"},
		{"join-bad-nick", eve, `<presence id='%s' to='` + den + `/a&#9;b'><x xmlns='` + nsMUC + `'/></presence>`, "modify", "jid-malformed"},
		{"join-room-malformed", eve, `<presence id='%s' to='a@b@conference.localhost/eve'><x xmlns='` + nsMUC + `'/></presence>`, "modify", "jid-malformed"},
		{"destroy-alternate-malformed", owner, `<iq type='set' id='%s' to='` + den + `'><query xmlns='` + nsMUCOwn + `'><destroy jid='a@b@c'/></query></iq>`, "modify", "jid-malformed"},

		// Unknown namespaces.
		{"unknown-ns-to-room", mallory, `<iq type='get' id='%s' to='` + den + `'><query xmlns='urn:example:unknown'/></iq>`, "cancel", "service-unavailable"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := e.in(t)
			id := fmt.Sprintf("attack%d", i)
			got := until(t, c.who, fmt.Sprintf(c.send, id), id)
			wantStanzaError(t, got, c.typ, c.cond)
			e.checkWitnesses()
		})
	}
	// The rooms are intact: the owner still owns den and mallory is still
	// a plain participant in it.
	r := until(t, owner, `<iq type='get' id='owners' to='`+den+`'><query xmlns='`+nsMUCAdm+`'><item affiliation='owner'/></query></iq>`, "owners")
	items := r.Child(nsMUCAdm, "query").ChildrenNamed(nsMUCAdm, "item")
	if len(items) != 1 || items[0].Attrib("jid") != "owner@localhost" {
		t.Fatalf("owner list after the attacks: %s", r)
	}
}
