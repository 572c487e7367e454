package server_test

import (
	"bytes"
	"sync"
	"testing"

	"github.com/muctest/muctest/c2s"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
	"github.com/muctest/muctest/xmlnode"
)

// recorder is a component that keeps copies of what reaches it (bounces of
// what it routed) and answers nothing.
type recorder struct {
	mu  sync.Mutex
	got []string
}

func (r *recorder) HandleStanza(st *xmlnode.Element) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, st.String())
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	got := r.got
	r.got = nil
	return got
}

// TestRouteTo checks Server.RouteTo against Route of an addressed copy, the
// path MUC broadcasts took before: for each stanza and recipient, both give
// the same bytes on every connection of the account (the recipient's and a
// carbon-enabled other resource) and the same bounces to the component,
// and RouteTo leaves the shared stanza as it was. The common path (a bound
// session) must also give the bytes c2s.Session.Send writes for the copy.
func TestRouteTo(t *testing.T) {
	const room = "room@conference.localhost"
	tests := []struct {
		name  string
		st    string // from the room, in jabber:client; "to" is replaced
		to    string // recipient: a resource of alice, or "" for her bare JID
		block bool   // alice blocks the room
		// direct: alice/one gets exactly the addressed stanza.
		direct bool
		carbon bool // alice/two gets a carbon
		answer bool // the component gets something back (a bounce)
	}{
		{name: "groupchat", to: "one", direct: true,
			st: `<message from='room@conference.localhost/Nick' type='groupchat' id='g&amp;1'><body xml:lang='en'>&lt;3 "hi"</body>` +
				`<occupant-id xmlns='urn:xmpp:occupant-id:0' id='abc='/><stanza-id xmlns='urn:xmpp:sid:0' by='room@conference.localhost' id='s1'/></message>`},
		{name: "groupchat with a to already", to: "one", direct: true,
			st: `<message to='room@conference.localhost' from='room@conference.localhost/Nick' type='groupchat'><body>x</body></message>`},
		{name: "private message", to: "one", direct: true,
			st: `<message from='room@conference.localhost/Nick' type='chat'><body>pm</body><x xmlns='http://jabber.org/protocol/muc#user'/></message>`},
		{name: "available presence", to: "one", direct: true,
			st: `<presence from='room@conference.localhost/Nick'><show>away</show><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='participant'/></x></presence>`},
		{name: "unavailable presence", to: "one", direct: true,
			st: `<presence from='room@conference.localhost/Nick' type='unavailable'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='none'/></x></presence>`},
		{name: "presence error", to: "one", direct: true,
			st: `<presence from='room@conference.localhost/Nick' type='error'><error type='cancel'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>`},
		// Not for the session: kept until alice is available; the server
		// tells the room she is not.
		{name: "subscription request", to: "one", answer: true,
			st: `<presence from='room@conference.localhost' type='subscribe'/>`},
		{name: "chat carbon-copied", to: "one", direct: true, carbon: true,
			st: `<message from='room@conference.localhost' type='chat'><body>carbon me</body></message>`},
		{name: "groupchat, session gone", to: "gone", answer: true,
			st: `<message from='room@conference.localhost/Nick' type='groupchat' id='g2'><body>x</body></message>`},
		{name: "presence, session gone", to: "gone",
			st: `<presence from='room@conference.localhost/Nick'/>`},
		{name: "groupchat to the bare JID", to: "", answer: true,
			st: `<message from='room@conference.localhost/Nick' type='groupchat' id='g3'><body>x</body></message>`},
		{name: "groupchat, room blocked", to: "one", block: true, answer: true,
			st: `<message from='room@conference.localhost/Nick' type='groupchat' id='g4'><body>x</body></message>`},
		{name: "presence, room blocked", to: "one", block: true,
			st: `<presence from='room@conference.localhost/Nick'/>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			comp := &recorder{}
			srv := servertest.New(t, server.Config{MUC: comp})
			one := servertest.DialRaw(t, srv).Login("alice", password, "one")
			two := servertest.DialRaw(t, srv).Login("alice", password, "two")
			two.Send(`<iq type='set' id='c'><enable xmlns='urn:xmpp:carbons:2'/></iq>`)
			if r := two.Next(); r.Attrib("type") != "result" {
				t.Fatalf("enabling carbons: %s", r)
			}
			if tt.block {
				one.Send(`<iq type='set' id='b'><block xmlns='urn:xmpp:blocking'><item jid='` + room + `'/></block></iq>`)
				if r := one.Next(); r.Attrib("type") != "result" {
					t.Fatalf("blocking: %s", r)
				}
			}
			// From here on the connections are read as bytes.
			to := "alice@localhost"
			if tt.to != "" {
				to += "/" + tt.to
			}
			st := parseClient(t, tt.st).Freeze() // as room.broadcast does
			before := st.String()

			type result struct {
				one, two []byte
				bounces  []string
			}
			deliver := func(route func()) result {
				route()
				for _, c := range []*servertest.Raw{one, two} {
					srv.Route(xmlnode.New(c2s.NSClient, "message", "from", "localhost", "to", c.JID, "id", "end", "type", "headline"))
				}
				idle(t, srv)
				return result{readToEnd(t, one), readToEnd(t, two), comp.take()}
			}
			old := deliver(func() { srv.Route(st.ShallowCopy().SetAttr("to", to)) })
			got := deliver(func() { srv.RouteTo(st, to) })

			if !bytes.Equal(got.one, old.one) {
				t.Errorf("alice/one got\n%s\nwith Route\n%s", got.one, old.one)
			}
			if !bytes.Equal(got.two, old.two) {
				t.Errorf("alice/two got\n%s\nwith Route\n%s", got.two, old.two)
			}
			if !slicesEqual(got.bounces, old.bounces) {
				t.Errorf("component got %q, with Route %q", got.bounces, old.bounces)
			}
			if st.String() != before {
				t.Errorf("RouteTo changed the stanza: %s, was %s", st, before)
			}

			want := ""
			if tt.direct {
				want = string(st.ShallowCopy().SetAttr("to", to).AppendTo(nil, c2s.NSClient))
			}
			if string(got.one) != want {
				t.Errorf("alice/one got\n%s\nwant\n%s", got.one, want)
			}
			if hasCarbon := bytes.Contains(got.two, []byte("<received xmlns=\"urn:xmpp:carbons:2\">")); hasCarbon != tt.carbon {
				t.Errorf("alice/two got %s; want a carbon: %v", got.two, tt.carbon)
			}
			if tt.carbon && !bytes.Contains(got.two, []byte(`to="`+to+`"`)) {
				t.Errorf("carbon %s does not forward the message as addressed to %s", got.two, to)
			}
			if (len(got.bounces) > 0) != tt.answer {
				t.Errorf("component got %q; want an answer: %v", got.bounces, tt.answer)
			}
		})
	}
}

// readToEnd reads c's connection as bytes up to the "end" marker the test
// routed last and returns what came before it. The decoder is not used:
// it has nothing buffered once the setup's last answer is read.
func readToEnd(t *testing.T, c *servertest.Raw) []byte {
	t.Helper()
	marker := []byte(`<message from="localhost" to="` + c.JID + `" id="end" type="headline"/>`)
	var got []byte
	buf := make([]byte, 4096)
	for !bytes.HasSuffix(got, marker) {
		n, err := c.Conn.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			t.Fatalf("%s: reading up to the marker: %v; got %s", c.JID, err, got)
		}
	}
	return got[:len(got)-len(marker)]
}

// parseClient reads a stanza written without namespace as a jabber:client
// one.
func parseClient(t *testing.T, s string) *xmlnode.Element {
	t.Helper()
	w, err := xmlnode.Parse("<wrap xmlns='jabber:client'>" + s + "</wrap>")
	if err != nil {
		t.Fatalf("bad test stanza %q: %v", s, err)
	}
	els := w.Elements()
	if len(els) != 1 {
		t.Fatalf("want one stanza in %q", s)
	}
	return els[0]
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
