package roster_test

import (
	"testing"

	"github.com/muctest/muctest/mod/pep"
	"github.com/muctest/muctest/mod/roster"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/moduletest"
	"github.com/muctest/muctest/xmlnode"
)

const movedNotice = `<presence type="subscribe" to="tess@localhost"><moved xmlns="urn:xmpp:moved:1"><old-jid>old@localhost</old-jid></moved></presence>`

// statement publishes, from c, the XEP-0283 statement naming newJID.
func statement(c *moduletest.Client, newJID string) {
	c.Send(`<iq type="set" id="st"><pubsub xmlns="http://jabber.org/protocol/pubsub"><publish node="urn:xmpp:moved:1"><item id="current">` +
		`<moved xmlns="urn:xmpp:moved:1"><new-jid>` + newJID + `</new-jid></moved></item></publish>` +
		`<publish-options><x xmlns="jabber:x:data" type="submit"><field var="FORM_TYPE" type="hidden"><value>http://jabber.org/protocol/pubsub#publish-options</value></field>` +
		`<field var="pubsub#access_model"><value>open</value></field></x></publish-options></pubsub></iq>`)
	c.Received()
}

// approve lets to see from's presence: from approves before to asks.
func approve(from, to *moduletest.Client) {
	from.Send(`<presence type="subscribed" to="` + to.JID.Bare().String() + `"/>`)
	to.Send(`<presence type="subscribe" to="` + from.JID.Bare().String() + `"/>`)
	from.Received()
	to.Received()
}

func pushed(got []*xmlnode.Element, contact, subscription string) bool {
	for _, st := range got {
		q := st.Child(roster.NS, "query")
		if st.Name.Local != "iq" || q == nil {
			continue
		}
		if it := q.Child(roster.NS, "item"); it != nil && it.Attrib("jid") == contact && it.Attrib("subscription") == subscription {
			return true
		}
	}
	return false
}

func gotRequest(got []*xmlnode.Element, from string) bool {
	for _, st := range got {
		if st.Name.Local == "presence" && st.Attrib("type") == "subscribe" && st.Attrib("from") == from {
			return true
		}
	}
	return false
}

// TestMovedNotice: a subscription request with a XEP-0283 notice is
// approved by the server only when Tess lets the old JID see her presence
// and the old JID's statement names the sender; every other request
// reaches Tess as an ordinary one.
func TestMovedNotice(t *testing.T) {
	tests := []struct {
		name      string
		mods      []module.Module
		tessAllow bool   // Tess lets old@ see her presence
		names     string // the statement's new-jid ("": none published)
		sender    string
		approved  bool
	}{
		{"verified", []module.Module{roster.Module{}, pep.Module{}}, true, "new@localhost", "new@localhost", true},
		{"statement names another", []module.Module{roster.Module{}, pep.Module{}}, true, "new@localhost", "mal@localhost", false},
		{"no statement", []module.Module{roster.Module{}, pep.Module{}}, true, "", "new@localhost", false},
		{"no PEP service", []module.Module{roster.Module{}}, true, "", "new@localhost", false},
		{"old JID not allowed", []module.Module{roster.Module{}, pep.Module{}}, false, "new@localhost", "new@localhost", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := moduletest.New(t, tc.mods...)
			tess := s.Login("tess@localhost/home").In(t)
			old := s.Login("old@localhost/l").In(t)
			tess.Send(`<iq type="get" id="r"><query xmlns="jabber:iq:roster"/></iq>`)
			tess.Send(`<presence/>`)
			tess.Received()
			if tc.tessAllow {
				approve(tess, old)
			}
			if tc.names != "" {
				statement(old, tc.names)
			}
			sender := s.Login(tc.sender + "/x").In(t)
			sender.Send(`<iq type="get" id="r"><query xmlns="jabber:iq:roster"/></iq>`)
			sender.Received()
			sender.Send(movedNotice)

			toTess, toSender := tess.Received(), sender.Received()
			if got := pushed(toTess, tc.sender, "from"); got != tc.approved {
				t.Errorf("Tess's roster gives %s 'from': %v, want %v (got %v)", tc.sender, got, tc.approved, toTess)
			}
			if got := gotRequest(toTess, tc.sender); got == tc.approved {
				t.Errorf("Tess got the request: %v, want %v", got, !tc.approved)
			}
			if got := pushed(toSender, "tess@localhost", "to"); got != tc.approved {
				t.Errorf("the sender's roster has 'to': %v, want %v (got %v)", got, tc.approved, toSender)
			}
		})
	}
}
