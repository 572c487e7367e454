package adhoc_test

import (
	"testing"
	"time"

	"github.com/muctest/muctest/mod/adhoc"
	"github.com/muctest/muctest/mod/disco"
	"github.com/muctest/muctest/mod/register"
	"github.com/muctest/muctest/moduletest"
)

const (
	errForbidden = `<error type="cancel"><forbidden xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/><text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">Only admins may run this command</text></error>`
	exec         = `<iq type="set" id="%s" to="localhost"><command xmlns="http://jabber.org/protocol/commands" node="%s" action="execute"/></iq>`
)

func newServer(t *testing.T, now func() time.Time) *moduletest.Server {
	return moduletest.New(t, disco.Module{}, register.Module{}, adhoc.Module{Admins: []string{"admin@localhost"}, Now: now})
}

func TestCommandList(t *testing.T) {
	s := newServer(t, nil)
	user := s.Login("user@localhost/a")
	admin := s.Login("admin@localhost/a")
	items := `<iq type="get" id="l" to="localhost"><query xmlns="http://jabber.org/protocol/disco#items" node="http://jabber.org/protocol/commands"/></iq>`
	user.Send(items)
	user.Expect(`<iq type="result" id="l" from="localhost"><query xmlns="http://jabber.org/protocol/disco#items" node="http://jabber.org/protocol/commands" scansion:strict="true">
		<item jid="localhost" node="ping" name="Ping"/>
		<item jid="localhost" node="uptime" name="Get uptime"/>
	</query></iq>`)
	admin.Send(items)
	got := admin.Received()
	if len(got) != 1 {
		t.Fatalf("admin got %d stanzas", len(got))
	}
	if n := len(got[0].Child("http://jabber.org/protocol/disco#items", "query").Elements()); n != 11 {
		t.Errorf("admin sees %d commands, want 11: %s", n, got[0])
	}

	t.Run("info of a command", func(t *testing.T) {
		c := user.In(t)
		c.Send(`<iq type="get" id="i" to="localhost"><query xmlns="http://jabber.org/protocol/disco#info" node="ping"/></iq>`)
		c.Expect(`<iq type="result" id="i"><query xmlns="http://jabber.org/protocol/disco#info" node="ping" scansion:strict="true">
			<identity category="automation" type="command-node" name="Ping"/>
			<feature var="http://jabber.org/protocol/commands"/><feature var="jabber:x:data"/></query></iq>`)
	})
	t.Run("admin command hidden from users", func(t *testing.T) {
		c := user.In(t)
		c.Send(`<iq type="get" id="h" to="localhost"><query xmlns="http://jabber.org/protocol/disco#info" node="` + adhoc.NodeDeleteUser + `"/></iq>`)
		c.Expect(`<iq type="error" id="h"><error type="cancel"><item-not-found xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`)
	})
	t.Run("server advertises commands", func(t *testing.T) {
		c := user.In(t)
		c.Send(`<iq type="get" id="s" to="localhost"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`)
		got := c.Received()
		found := false
		for _, f := range got[0].Child("http://jabber.org/protocol/disco#info", "query").Elements() {
			found = found || f.Attrib("var") == adhoc.NS
		}
		if !found {
			t.Errorf("no commands feature in %s", got[0])
		}
	})
}

func TestUserCommands(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := newServer(t, func() time.Time { return now })
	user := s.Login("user@localhost/a")
	now = now.Add(26*time.Hour + 3*time.Minute + time.Second)
	tests := []struct{ name, send, want string }{
		{"ping", `<iq type="set" id="p" to="localhost"><command xmlns="http://jabber.org/protocol/commands" node="ping" action="execute"/></iq>`,
			`<iq type="result" id="p" from="localhost"><command xmlns="http://jabber.org/protocol/commands" node="ping" status="completed" sessionid="{scansion:any}" scansion:strict="true"><note type="info">Pong</note></command></iq>`},
		{"ping without action", `<iq type="set" id="p2" to="localhost"><command xmlns="http://jabber.org/protocol/commands" node="ping"/></iq>`,
			`<iq type="result" id="p2"><command sessionid="{scansion:any}" xmlns="http://jabber.org/protocol/commands" node="ping" status="completed"><note type="info">Pong</note></command></iq>`},
		{"uptime", `<iq type="set" id="u" to="localhost"><command xmlns="http://jabber.org/protocol/commands" node="uptime" action="execute"/></iq>`,
			`<iq type="result" id="u"><command sessionid="{scansion:any}" xmlns="http://jabber.org/protocol/commands" node="uptime" status="completed"><note type="info">This server has been running for 1 day, 2 hours and 3 minutes (since Thu Jan  1 00:00:00 2026)</note></command></iq>`},
		{"unknown command", `<iq type="set" id="x" to="localhost"><command xmlns="http://jabber.org/protocol/commands" node="nope" action="execute"/></iq>`,
			`<iq type="error" id="x"><error type="cancel"><item-not-found xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`},
		{"bad action", `<iq type="set" id="b" to="localhost"><command xmlns="http://jabber.org/protocol/commands" node="ping" action="jump"/></iq>`,
			`<iq type="error" id="b"><error type="modify"><bad-request xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/><bad-action xmlns="http://jabber.org/protocol/commands"/></error></iq>`},
		{"unknown session", `<iq type="set" id="us" to="localhost"><command xmlns="http://jabber.org/protocol/commands" node="ping" sessionid="nope" action="complete"/></iq>`,
			`<iq type="error" id="us"><error type="modify"><bad-request xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/><bad-sessionid xmlns="http://jabber.org/protocol/commands"/></error></iq>`},
		{"admin command", `<iq type="set" id="a" to="localhost"><command xmlns="http://jabber.org/protocol/commands" node="` + adhoc.NodeOnlineUsersNum + `" action="execute"/></iq>`,
			`<iq type="error" id="a">` + errForbidden + `</iq>`},
		{"admin command with a form", `<iq type="set" id="a2" to="localhost"><command xmlns="http://jabber.org/protocol/commands" node="` + adhoc.NodeDeleteUser + `" action="execute"/></iq>`,
			`<iq type="error" id="a2">` + errForbidden + `</iq>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := user.In(t)
			c.Send(tc.send)
			c.Expect(tc.want)
		})
	}
}

// start executes a command with a form and returns its sessionid.
func start(t *testing.T, c *moduletest.Client, node string) string {
	t.Helper()
	c.Send(`<iq type="set" id="start" to="localhost"><command xmlns="http://jabber.org/protocol/commands" node="` + node + `" action="execute"/></iq>`)
	got := c.Received()
	if len(got) != 1 {
		t.Fatalf("got %d stanzas", len(got))
	}
	cmd := got[0].Child(adhoc.NS, "command")
	if cmd == nil || cmd.Attrib("status") != "executing" || cmd.Attrib("sessionid") == "" ||
		cmd.Child(adhoc.NS, "actions") == nil || cmd.Child(adhoc.NSData, "x") == nil {
		t.Fatalf("not an executing command with a form: %s", got[0])
	}
	return cmd.Attrib("sessionid")
}

func submit(c *moduletest.Client, node, sid, fields string) {
	c.Send(`<iq type="set" id="submit" to="localhost"><command xmlns="http://jabber.org/protocol/commands" node="` + node +
		`" sessionid="` + sid + `" action="complete"><x xmlns="jabber:x:data" type="submit">` + fields + `</x></command></iq>`)
}

func TestAdminCommands(t *testing.T) {
	s := newServer(t, nil)
	admin := s.Login("admin@localhost/a")
	alice := s.Login("alice@localhost/a")
	alice2 := s.Login("alice@localhost/b")
	bob := s.Login("bob@localhost/a")
	admin.Send(`<presence/>`)
	alice.Send(`<presence/>`)
	bob.Send(`<presence/>`)
	for _, c := range []*moduletest.Client{admin, alice, alice2, bob} {
		c.Received()
	}

	t.Run("online users number", func(t *testing.T) {
		c := admin.In(t)
		c.Send(`<iq type="set" id="n" to="localhost"><command xmlns="http://jabber.org/protocol/commands" node="` + adhoc.NodeOnlineUsersNum + `" action="execute"/></iq>`)
		c.Expect(`<iq type="result" id="n"><command sessionid="{scansion:any}" xmlns="http://jabber.org/protocol/commands" node="` + adhoc.NodeOnlineUsersNum + `" status="completed">
			<x xmlns="jabber:x:data" type="result" scansion:strict="true"><field type="hidden" var="FORM_TYPE"><value>http://jabber.org/protocol/admin</value></field>
			<field var="onlineusersnum" label="Number of Online Users"><value>3</value></field></x></command></iq>`)
	})
	t.Run("online users list", func(t *testing.T) {
		c := admin.In(t)
		sid := start(t, c, adhoc.NodeOnlineUsersList)
		submit(c, adhoc.NodeOnlineUsersList, sid, `<field var="max_items"><value>2</value></field>`)
		c.Expect(`<iq type="result" id="submit"><command node="{scansion:any}" xmlns="http://jabber.org/protocol/commands" status="completed" sessionid="` + sid + `">
			<x xmlns="jabber:x:data" type="result"><field type="hidden" var="FORM_TYPE"><value>http://jabber.org/protocol/admin</value></field><field var="onlineuserjids" type="jid-multi" scansion:strict="true" label="{scansion:any}"><value>admin@localhost</value><value>alice@localhost</value></field></x></command></iq>`)
		// The session is over.
		submit(c, adhoc.NodeOnlineUsersList, sid, ``)
		c.Expect(`<iq type="error" id="submit"><error type="modify"><bad-request xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/><bad-sessionid xmlns="http://jabber.org/protocol/commands"/></error></iq>`)
	})
	t.Run("registered users list", func(t *testing.T) {
		c := admin.In(t)
		sid := start(t, c, adhoc.NodeRegisteredUsersList)
		submit(c, adhoc.NodeRegisteredUsersList, sid, `<field var="max_items"><value>none</value></field>`)
		c.Expect(`<iq type="result" id="submit"><command node="{scansion:any}" xmlns="http://jabber.org/protocol/commands" status="completed" sessionid="` + sid + `">
			<x xmlns="jabber:x:data" type="result"><field type="hidden" var="FORM_TYPE"><value>http://jabber.org/protocol/admin</value></field><field var="registereduserjids" type="jid-multi" scansion:strict="true" label="{scansion:any}"><value>admin@localhost</value><value>alice@localhost</value><value>bob@localhost</value></field></x></command></iq>`)
	})
	t.Run("add user and change password", func(t *testing.T) {
		c := admin.In(t)
		for _, tc := range []struct{ node, fields, want string }{
			{adhoc.NodeAddUser, `<field var="accountjid"><value>carol@localhost</value></field><field var="password"><value>a</value></field><field var="password-verify"><value>b</value></field>`, "not-acceptable"},
			{adhoc.NodeAddUser, `<field var="accountjid"><value>carol@elsewhere</value></field><field var="password"><value>a</value></field><field var="password-verify"><value>a</value></field>`, "bad-request"},
			{adhoc.NodeAddUser, `<field var="accountjid"><value>carol@localhost</value></field><field var="password"><value>a</value></field><field var="password-verify"><value>a</value></field>`, ""},
			{adhoc.NodeAddUser, `<field var="accountjid"><value>carol@localhost</value></field><field var="password"><value>a</value></field><field var="password-verify"><value>a</value></field>`, "conflict"},
			{adhoc.NodeChangeUserPassword, `<field var="accountjid"><value>nobody@localhost</value></field><field var="password"><value>b</value></field>`, "item-not-found"},
			{adhoc.NodeChangeUserPassword, `<field var="accountjid"><value>carol@localhost</value></field><field var="password"><value>b</value></field>`, ""},
		} {
			sid := start(t, c, tc.node)
			submit(c, tc.node, sid, tc.fields)
			got := c.Received()
			if len(got) != 1 {
				t.Fatalf("%d answers", len(got))
			}
			if tc.want == "" {
				if got[0].Attrib("type") != "result" {
					t.Errorf("%s %s: %s", tc.node, tc.fields, got[0])
				}
				continue
			}
			if e := got[0].Child("jabber:client", "error"); e == nil || e.Child("urn:ietf:params:xml:ns:xmpp-stanzas", tc.want) == nil {
				t.Errorf("%s %s: %s, want %s", tc.node, tc.fields, got[0], tc.want)
			}
		}
	})
	t.Run("bad max_items", func(t *testing.T) {
		c := admin.In(t)
		sid := start(t, c, adhoc.NodeOnlineUsersList)
		submit(c, adhoc.NodeOnlineUsersList, sid, `<field var="max_items"><value>-3</value></field>`)
		c.Expect(`<iq type="error" id="submit"><error type="modify"><bad-request xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`)
	})
	t.Run("cancel", func(t *testing.T) {
		c := admin.In(t)
		sid := start(t, c, adhoc.NodeAnnounce)
		c.Send(`<iq type="set" id="c" to="localhost"><command xmlns="http://jabber.org/protocol/commands" node="` + adhoc.NodeAnnounce + `" sessionid="` + sid + `" action="cancel"/></iq>`)
		c.Expect(`<iq type="result" id="c"><command xmlns="http://jabber.org/protocol/commands" node="` + adhoc.NodeAnnounce + `" sessionid="` + sid + `" status="canceled" scansion:strict="true"/></iq>`)
		alice.In(t).ExpectNothing()
	})
	t.Run("another session's sessionid", func(t *testing.T) {
		sid := start(t, admin.In(t), adhoc.NodeAnnounce)
		other := s.Login("admin@localhost/other")
		submit(other.In(t), adhoc.NodeAnnounce, sid, `<field var="announcement"><value>hi</value></field>`)
		other.In(t).Expect(`<iq type="error" id="submit"><error type="modify"><bad-sessionid xmlns="http://jabber.org/protocol/commands"/></error></iq>`)
		other.Close()
	})
	t.Run("announce", func(t *testing.T) {
		c := admin.In(t)
		sid := start(t, c, adhoc.NodeAnnounce)
		submit(c, adhoc.NodeAnnounce, sid, `<field var="subject"><value>Maintenance</value></field><field var="announcement"><value>Back</value><value>soon</value></field>`)
		c.Expect(`<message type="headline" from="localhost" to="admin@localhost/a"><subject>Maintenance</subject><body>Back
soon</body></message>`,
			`<iq type="result" id="submit"><command sessionid="{scansion:any}" node="{scansion:any}" xmlns="http://jabber.org/protocol/commands" status="completed"><note type="info">Announcement sent to 3 sessions</note></command></iq>`)
		alice.In(t).Expect(`<message type="headline" from="localhost" to="alice@localhost/a"><subject>Maintenance</subject><body>{scansion:any}</body></message>`)
		alice2.In(t).ExpectNothing() // not available
	})
	t.Run("announcement required", func(t *testing.T) {
		c := admin.In(t)
		sid := start(t, c, adhoc.NodeAnnounce)
		submit(c, adhoc.NodeAnnounce, sid, `<field var="subject"><value>x</value></field>`)
		c.Expect(`<iq type="error" id="submit"><error type="modify"><bad-request xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`)
	})
	t.Run("end user session", func(t *testing.T) {
		c := admin.In(t)
		sid := start(t, c, adhoc.NodeEndUserSession)
		submit(c, adhoc.NodeEndUserSession, sid, `<field var="accountjids"><value>alice@localhost/b</value></field>`)
		c.Expect(`<iq type="result" id="submit"><command sessionid="{scansion:any}" node="{scansion:any}" xmlns="http://jabber.org/protocol/commands" status="completed"><note type="info">Ended 1 sessions</note></command></iq>`)
		if alice2.Closed() == "" || alice.Closed() != "" {
			t.Errorf("closed: alice/a %q, alice/b %q; want only alice/b", alice.Closed(), alice2.Closed())
		}
	})
	t.Run("bad jid", func(t *testing.T) {
		c := admin.In(t)
		sid := start(t, c, adhoc.NodeDeleteUser)
		submit(c, adhoc.NodeDeleteUser, sid, `<field var="accountjids"><value>bob@elsewhere</value></field>`)
		c.Expect(`<iq type="error" id="submit"><error type="modify"><bad-request xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`)
	})
	t.Run("delete user", func(t *testing.T) {
		c := admin.In(t)
		sid := start(t, c, adhoc.NodeDeleteUser)
		submit(c, adhoc.NodeDeleteUser, sid, `<field var="accountjids"><value>bob@localhost</value><value>nobody@localhost</value></field>`)
		c.Expect(`<iq type="result" id="submit"><command sessionid="{scansion:any}" node="{scansion:any}" xmlns="http://jabber.org/protocol/commands" status="completed"><note type="info">Deleted 1 accounts</note><note type="warn">No such accounts: nobody@localhost</note></command></iq>`)
		if bob.Closed() == "" {
			t.Errorf("bob's session still open")
		}
		// The tombstone of XEP-0077's removal answers for bob now.
		c.Send(`<message type="chat" to="bob@localhost"><body>hi</body></message>`)
		c.Expect(`<message type="error" from="bob@localhost"><error type="cancel"><gone xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></message>`)
	})
	t.Run("too many pending", func(t *testing.T) {
		c := admin.In(t)
		first := start(t, c, adhoc.NodeAnnounce)
		for range adhoc.MaxPending {
			start(t, c, adhoc.NodeAnnounce)
		}
		submit(c, adhoc.NodeAnnounce, first, `<field var="announcement"><value>x</value></field>`)
		c.Expect(`<iq type="error" id="submit"><error><bad-sessionid xmlns="http://jabber.org/protocol/commands"/></error></iq>`)
	})
}

// TestAdminDeletesSelf: the result comes before the stream ends.
func TestAdminDeletesSelf(t *testing.T) {
	s := newServer(t, nil)
	admin := s.Login("admin@localhost/a")
	sid := start(t, admin, adhoc.NodeDeleteUser)
	submit(admin, adhoc.NodeDeleteUser, sid, `<field var="accountjids"><value>admin@localhost</value></field>`)
	admin.Expect(`<iq type="result" id="submit"><command sessionid="{scansion:any}" node="{scansion:any}" xmlns="http://jabber.org/protocol/commands" status="completed"><note type="info">Deleted 1 accounts</note></command></iq>`)
	if admin.Closed() == "" {
		t.Errorf("deleted admin's session still open")
	}
}
