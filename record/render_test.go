package record

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/script"
	"github.com/muctest/muctest/xmlnode"
)

// fixture is a recording built by hand: Romeo asked for his resource,
// Juliet let the server pick one.
type fixture struct {
	rec           *Recording
	romeo, juliet *ClientInfo
	stranger      *ClientInfo // never bound: not in the script
}

func newFixture() *fixture {
	f := &fixture{
		romeo:    &ClientInfo{ID: 1, Mechanism: "PLAIN", User: "romeo", Password: "secret", Resource: "balcony", JID: "romeo@localhost/balcony"},
		juliet:   &ClientInfo{ID: 2, Mechanism: "SCRAM-SHA-1", JID: "juliet@localhost/x1y2"},
		stranger: &ClientInfo{ID: 3},
	}
	f.rec = &Recording{Title: "A test", Upstream: "127.0.0.1:5222",
		Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Ended: time.Date(2026, 1, 2, 3, 5, 0, 0, time.UTC),
		Clients: []*ClientInfo{f.romeo, f.juliet, f.stranger}}
	return f
}

func (f *fixture) add(kind EventKind, c *ClientInfo, st string) *fixture {
	e := Event{Kind: kind, Client: c}
	if st != "" {
		e.Stanza = xmlnode.MustParse(st).TrimSpace()
	}
	f.rec.Events = append(f.rec.Events, e)
	return f
}

// steps returns the rendered script after the header.
func steps(t *testing.T, r *Recording) string {
	t.Helper()
	out := r.Render()
	if _, err := script.Parse("rendered.scs", bytes.NewReader(out)); err != nil {
		t.Fatalf("rendered script does not parse: %v\n%s", err, out)
	}
	_, after, ok := strings.Cut(string(out), "---------\n")
	if !ok {
		t.Fatalf("no separator in\n%s", out)
	}
	return after
}

func TestRenderHeader(t *testing.T) {
	f := newFixture()
	f.add(Connected, f.juliet, "").add(Connected, f.romeo, "")
	out := string(f.rec.Render())
	s, err := script.Parse("h.scs", strings.NewReader(out))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, out)
	}
	if s.Title != "A test" {
		t.Errorf("title %q", s.Title)
	}
	want := []struct{ name, jid, resource, password string }{
		// Named in the order they bound, not the order they connected.
		{"Romeo", "juliet@localhost", "", "password"},
		{"Juliet", "romeo@localhost", "balcony", "secret"},
	}
	if len(s.Clients) != len(want) {
		t.Fatalf("%d clients, want %d:\n%s", len(s.Clients), len(want), out)
	}
	for i, w := range want {
		c := s.Clients[i]
		if c.Name != w.name || c.JID != w.jid || c.Resource != w.resource || c.Password != w.password {
			t.Errorf("client %d = %s %s/%s %s, want %+v", i, c.Name, c.JID, c.Resource, c.Password, w)
		}
	}
	if !strings.Contains(out, "# Romeo authenticated with SCRAM-SHA-1: the recorder did not see the password.") {
		t.Errorf("no note about the unseen password:\n%s", out)
	}
	if !strings.Contains(out, "# recording ended on 2026-01-02T03:05:00Z") {
		t.Errorf("no end line:\n%s", out)
	}
}

func TestNameFor(t *testing.T) {
	for i, want := range map[int]string{0: "Romeo", 1: "Juliet", 2: "Mercutio", 11: "Gregory", 12: "Client 13"} {
		if got := nameFor(i); got != want {
			t.Errorf("nameFor(%d) = %q, want %q", i, got, want)
		}
	}
}

func TestRenderSteps(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func(f *fixture)
		// captures renders with Recording.Captures.
		captures bool
		want     []string // substrings of the steps, in order
		absent   []string
	}{
		{
			// Romeo is declared with his resource, so his bare JID
			// is written out: ${Romeo's JID} would be his full one.
			name: "JIDs become placeholders",
			build: func(f *fixture) {
				f.add(Connected, f.romeo, "").add(Connected, f.juliet, "")
				f.add(Sent, f.romeo, `<message xmlns='jabber:client' to='juliet@localhost/x1y2' id='m1'><body>juliet@localhost, xjuliet@localhost and romeo@localhost/balcony</body></message>`)
				f.add(Received, f.juliet, `<message xmlns='jabber:client' from='romeo@localhost/balcony' to='juliet@localhost/x1y2' id='m1'><x xmlns='urn:example' who='romeo@localhost'/></message>`)
			},
			want: []string{
				"Romeo connects", "Juliet connects",
				"Romeo sends:\n\t<message to=\"${Juliet's full JID}\" id=\"m1\">\n\t\t<body>${Juliet's JID}, xjuliet@localhost and ${Romeo's full JID}</body>",
				"Juliet receives:\n\t<message from=\"${Romeo's full JID}\" to=\"${Juliet's full JID}\" id=\"m1\">\n\t\t<x xmlns=\"urn:example\" who=\"romeo@localhost\"/>",
			},
		},
		{
			name: "made-up ids and stamps match anything, chosen ids stay",
			build: func(f *fixture) {
				f.add(Connected, f.romeo, "")
				f.add(Received, f.romeo, `<message xmlns='jabber:client' id='srv1' from='room@conference.localhost'><delay xmlns='urn:xmpp:delay' stamp='2026-01-02T03:04:05Z'/><time xmlns='urn:example'>2026-01-02T03:04:05.123+01:00</time></message>`)
				f.add(Sent, f.romeo, `<iq xmlns='jabber:client' type='get' id='q1' to='room@conference.localhost'><query xmlns='urn:example'/></iq>`)
				f.add(Received, f.romeo, `<iq xmlns='jabber:client' type='result' id='q1' xml:lang='en' from='room@conference.localhost'><stanza-id xmlns='urn:xmpp:sid:0' id='abc' by='room@conference.localhost'/></iq>`)
			},
			want: []string{
				`<message id="{scansion:any}" from="room@conference.localhost">`,
				`<delay xmlns="urn:xmpp:delay" stamp="{scansion:any}"/>`,
				`<time xmlns="urn:example"/>`,
				`<iq type="result" id="q1" from="room@conference.localhost">`,
				`<stanza-id xmlns="urn:xmpp:sid:0" id="{scansion:any}" by="room@conference.localhost"/>`,
			},
			absent: []string{"xml:lang", "srv1", "2026-01-02T03:04:05"},
		},
		{
			name: "login noise and its replies are left out",
			build: func(f *fixture) {
				f.add(Connected, f.romeo, "").add(Connected, f.juliet, "")
				f.add(Sent, f.romeo, `<iq xmlns='jabber:client' type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>`)
				f.add(Received, f.romeo, `<iq xmlns='jabber:client' type='result' id='r1'><query xmlns='jabber:iq:roster' ver='1'/></iq>`)
				f.add(Sent, f.romeo, `<iq xmlns='jabber:client' type='get' id='d1' to='localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
				f.add(Received, f.romeo, `<iq xmlns='jabber:client' type='result' id='d1' from='localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
				f.add(Sent, f.juliet, `<iq xmlns='jabber:client' type='get' id='d2' to='romeo@localhost/balcony'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
				f.add(Received, f.romeo, `<iq xmlns='jabber:client' type='get' id='d2' from='juliet@localhost/x1y2'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
				f.add(Sent, f.romeo, `<iq xmlns='jabber:client' type='result' id='d2' to='juliet@localhost/x1y2'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
				f.add(Received, f.juliet, `<iq xmlns='jabber:client' type='result' id='d2' from='romeo@localhost/balcony'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
				f.add(Received, f.romeo, `<iq xmlns='jabber:client' type='set' id='push1'><query xmlns='jabber:iq:roster'><item jid='juliet@localhost'/></query></iq>`)
				f.add(Sent, f.romeo, `<iq xmlns='jabber:client' type='result' id='push1'/>`)
				f.add(Sent, f.romeo, `<iq xmlns='jabber:client' type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`)
				f.add(Received, f.romeo, `<iq xmlns='jabber:client' type='result' id='p1' from='localhost'/>`)
				// Discovery of a room is what a script is about: kept.
				f.add(Sent, f.romeo, `<iq xmlns='jabber:client' type='get' id='d3' to='room@conference.localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
				f.add(Received, f.romeo, `<iq xmlns='jabber:client' type='result' id='d3' from='room@conference.localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
				// A roster change the user made: kept.
				f.add(Sent, f.romeo, `<iq xmlns='jabber:client' type='set' id='r2'><query xmlns='jabber:iq:roster'><item jid='nurse@localhost'/></query></iq>`)
			},
			want: []string{
				`id="d3" to="room@conference.localhost"`, `id="d3" from="room@conference.localhost"`,
				`<iq type="set" id="r2">`,
			},
			absent: []string{`"r1"`, `"d1"`, `"d2"`, "push1", `"p1"`, "Juliet sends", "Juliet receives"},
		},
		{
			name: "consecutive receives share a block; nothing after a disconnect",
			build: func(f *fixture) {
				f.add(Connected, f.romeo, "")
				f.add(Received, f.romeo, `<message xmlns='jabber:client' id='a'><body>1</body></message>`)
				f.add(Received, f.romeo, `<message xmlns='jabber:client' id='b'><body>2</body></message>`)
				f.add(Disconnected, f.romeo, "")
				f.add(Received, f.romeo, `<message xmlns='jabber:client' id='c'><body>3</body></message>`)
				f.add(Sent, f.stranger, `<message xmlns='jabber:client' id='d'><body>4</body></message>`)
			},
			want:   []string{"Romeo receives:\n\t<message id=\"{scansion:any}\">\n\t\t<body>1</body>\n\t</message>\n\t<message", "<body>2</body>", "Romeo disconnects"},
			absent: []string{"<body>3</body>", "<body>4</body>"},
		},
		{
			name: "escaping",
			build: func(f *fixture) {
				f.add(Connected, f.romeo, "")
				f.add(Sent, f.romeo, `<message xmlns='jabber:client' id='e' to='a@b'><body>line 1&#10;&lt;tag&gt; &amp; "q" ${not a placeholder} $5</body><x xmlns='urn:example' v='a"b&lt;'/></message>`)
			},
			want: []string{`<body>line 1&#10;&lt;tag&gt; &amp; "q" &#36;{not a placeholder} $5</body>`, `v="a&quot;b&lt;"`},
		},
		{
			name: "sets the server sends in any order are matched in any order",
			build: func(f *fixture) {
				f.add(Connected, f.romeo, "")
				f.add(Received, f.romeo, `<message xmlns='jabber:client' from='room@conference.localhost'><x xmlns='http://jabber.org/protocol/muc#user'><status code='170'/><status code='104'/></x><x xmlns='jabber:x:data'><field var='a' type='list-multi'><value>1</value><value>2</value></field><field var='b' type='list-single'><value>1</value></field></x></message>`)
			},
			want: []string{
				`<x xmlns="http://jabber.org/protocol/muc#user" scansion:strict="false">`,
				`<field var="a" type="list-multi" scansion:strict="false">`,
				`<field var="b" type="list-single">`,
			},
		},
		{
			name: "a dropped connection is noted",
			build: func(f *fixture) {
				f.add(Connected, f.romeo, "")
				f.rec.Events = append(f.rec.Events, Event{Kind: Disconnected, Client: f.romeo, Dropped: true})
			},
			want:   []string{"Romeo's connection drops\n"},
			absent: []string{"Romeo disconnects"},
		},
		{
			name:     "captures for made-up values received twice",
			captures: true,
			build: func(f *fixture) {
				f.add(Connected, f.romeo, "").add(Connected, f.juliet, "")
				f.add(Received, f.romeo, `<presence xmlns='jabber:client' from='r@c/j'><occupant-id xmlns='urn:xmpp:occupant-id:0' id='AAA'/></presence>`)
				f.add(Received, f.juliet, `<message xmlns='jabber:client' id='once' from='r@c/j'><occupant-id xmlns='urn:xmpp:occupant-id:0' id='AAA'/><delay xmlns='urn:xmpp:delay' stamp='s1'/></message>`)
				f.add(Received, f.juliet, `<message xmlns='jabber:client' id='twice' from='r@c/j'><delay xmlns='urn:xmpp:delay' stamp='s1'/></message>`)
				f.add(Received, f.romeo, `<message xmlns='jabber:client' id='twice' from='r@c/j'/>`)
			},
			want: []string{
				`<occupant-id xmlns="urn:xmpp:occupant-id:0" id="{scansion:capture:id1}"/>`,
				`<message id="{scansion:any}" from="r@c/j">`,
				`<occupant-id xmlns="urn:xmpp:occupant-id:0" id="{scansion:capture:id1}"/>`,
				`stamp="{scansion:any}"`,
				`<message id="{scansion:capture:id2}" from="r@c/j">`,
				`stamp="{scansion:any}"`,
				`<message id="{scansion:capture:id2}" from="r@c/j"/>`,
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture()
			f.rec.Captures = tc.captures
			tc.build(f)
			got := steps(t, f.rec)
			rest := got
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("missing (or out of order) %q in:\n%s", w, got)
				}
				rest = rest[i+len(w):]
			}
			for _, a := range tc.absent {
				if strings.Contains(got, a) {
					t.Errorf("%q should be left out:\n%s", a, got)
				}
			}
		})
	}
}

func TestSubstituteBoundaries(t *testing.T) {
	rn := &renderer{subs: []substitution{
		{"romeo@localhost/balcony", "${Romeo's full JID}"},
		{"romeo@localhost", "${Romeo's JID}"},
	}}
	for in, want := range map[string]string{
		"romeo@localhost":               "${Romeo's JID}",
		"romeo@localhost/balcony":       "${Romeo's full JID}",
		"romeo@localhost/other":         "${Romeo's JID}/other",
		"romeo@localhost/balconyx":      "${Romeo's JID}/balconyx",
		"xromeo@localhost":              "xromeo@localhost",
		"romeo@localhost.org":           "romeo@localhost.org",
		"hi romeo@localhost, bye":       "hi ${Romeo's JID}, bye",
		"<romeo@localhost>":             "&lt;${Romeo's JID}&gt;",
		"room@conference.localhost/rom": "room@conference.localhost/rom",
	} {
		if got := rn.substitute(in, false); got != want {
			t.Errorf("substitute(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRenderDropsAccountStanzaIDs checks that a stanza-id by the
// recipient's account that nothing refers to again is left out of what it
// receives (a server stamps it only if it archives that account), while a
// room's stanza-id and an account's one received again (captured) stay.
func TestRenderDropsAccountStanzaIDs(t *testing.T) {
	f := newFixture()
	f.rec.Captures = true
	f.add(Connected, f.romeo, "").add(Connected, f.juliet, "")
	f.add(Received, f.romeo, `<message xmlns="jabber:client" to="romeo@localhost/balcony" from="juliet@localhost/x1y2" type="chat" id="c1"><body>once</body><stanza-id xmlns="urn:xmpp:sid:0" by="romeo@localhost" id="acct-once"/></message>`)
	f.add(Received, f.romeo, `<message xmlns="jabber:client" to="romeo@localhost/balcony" from="room@conference.localhost/j" type="groupchat" id="g1"><body>hi</body><stanza-id xmlns="urn:xmpp:sid:0" by="room@conference.localhost" id="room-once"/></message>`)
	f.add(Received, f.romeo, `<message xmlns="jabber:client" to="romeo@localhost/balcony" from="juliet@localhost/x1y2" type="chat" id="c2"><body>twice</body><stanza-id xmlns="urn:xmpp:sid:0" by="romeo@localhost" id="acct-twice"/></message>`)
	f.add(Received, f.romeo, `<message xmlns="jabber:client" to="romeo@localhost/balcony"><result xmlns="urn:xmpp:mam:2" queryid="q" id="acct-twice"/></message>`)
	out := steps(t, f.rec)
	if strings.Contains(out, `by="romeo@localhost" id="{scansion:any}"`) || strings.Contains(out, "acct-once") {
		t.Errorf("the account's unreferenced stanza-id is still there:\n%s", out)
	}
	if !strings.Contains(out, `by="room@conference.localhost"`) {
		t.Errorf("the room's stanza-id was dropped:\n%s", out)
	}
	if strings.Count(out, "urn:xmpp:sid:0") != 2 || !strings.Contains(out, `by="romeo@localhost" id="{scansion:capture:`) {
		t.Errorf("want the room's and the captured stanza-id, got:\n%s", out)
	}
}
