package mam_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/muctest/muctest/archive"
	"github.com/muctest/muctest/mod/mam"
	"github.com/muctest/muctest/moduletest"
	"github.com/muctest/muctest/xmlnode"
)

// results returns the archived messages' bodies a query's results carry,
// and checks the final iq is a result.
func results(t *testing.T, got []*xmlnode.Element) []string {
	t.Helper()
	if len(got) == 0 || got[len(got)-1].Name.Local != "iq" || got[len(got)-1].Attrib("type") != "result" {
		t.Fatalf("no result iq last: %v", got)
	}
	var bodies []string
	for _, m := range got[:len(got)-1] {
		fwd := m.Child(archive.NS, "result").Child(archive.NSForward, "forwarded")
		bodies = append(bodies, fwd.Child("jabber:client", "message").ChildText("jabber:client", "body"))
	}
	return bodies
}

// online logs in full and sends initial presence, which MAM needs before
// it archives messages to the session, and drops what that brought.
func online(s *moduletest.Server, full string) *moduletest.Client {
	c := s.Login(full)
	c.Send(`<presence/>`)
	c.Received()
	return c
}

func TestArchiveBothWays(t *testing.T) {
	s := moduletest.New(t, mam.Module{})
	romeo, juliet := online(s, "romeo@localhost/garden"), online(s, "juliet@localhost/balcony")

	romeo.Send(`<message to="juliet@localhost" type="chat" id="m1"><body>hi</body></message>`)
	got := juliet.Received()
	if len(got) != 1 {
		t.Fatalf("juliet got %v", got)
	}
	sid := got[0].Child(mam.NSStanzaID, "stanza-id")
	if sid == nil || sid.Attrib("by") != "juliet@localhost" || sid.Attrib("id") == "" {
		t.Fatalf("no stanza-id by juliet: %s", got[0])
	}
	juliet.Send(`<message to="romeo@localhost/garden" type="chat" id="m2"><body>hello</body></message>`)
	romeo.Received()
	// Not archived: no body, a headline, a no-store hint.
	romeo.Send(`<message to="juliet@localhost" type="chat"><active xmlns="http://jabber.org/protocol/chatstates"/></message>`)
	romeo.Send(`<message to="juliet@localhost" type="headline"><body>news</body></message>`)
	romeo.Send(`<message to="juliet@localhost" type="chat"><body>secret</body><no-store xmlns="urn:xmpp:hints"/></message>`)
	juliet.Received()

	for _, c := range []struct {
		who  *moduletest.Client
		want string
	}{{romeo, "hi,hello"}, {juliet, "hi,hello"}} {
		c.who.Send(`<iq type="set" id="q"><query xmlns="urn:xmpp:mam:2" queryid="x"/></iq>`)
		if got := strings.Join(results(t, c.who.Received()), ","); got != c.want {
			t.Errorf("%s's archive: %q, want %q", c.who.JID, got, c.want)
		}
	}
	// The archive id juliet was told is the one her archive has.
	juliet.Send(`<iq type="set" id="ids"><query xmlns="urn:xmpp:mam:2"><x xmlns="jabber:x:data" type="submit"><field var="FORM_TYPE"><value>urn:xmpp:mam:2</value></field><field var="ids"><value>` + sid.Attrib("id") + `</value></field></x></query></iq>`)
	if got := strings.Join(results(t, juliet.Received()), ","); got != "hi" {
		t.Errorf("by id: %q", got)
	}
}

func TestForgedStanzaIDRemoved(t *testing.T) {
	s := moduletest.New(t, mam.Module{})
	romeo, juliet := online(s, "romeo@localhost/garden"), online(s, "juliet@localhost/balcony")
	romeo.Send(`<message to="juliet@localhost" type="chat"><body>hi</body><stanza-id xmlns="urn:xmpp:sid:0" by="juliet@localhost" id="forged"/><stanza-id xmlns="urn:xmpp:sid:0" by="other@example" id="kept"/></message>`)
	got := juliet.Received()
	var ids []string
	for _, sid := range got[0].ChildrenNamed(mam.NSStanzaID, "stanza-id") {
		ids = append(ids, sid.Attrib("by")+"="+sid.Attrib("id"))
	}
	if len(ids) != 2 || ids[0] != "other@example=kept" || strings.Contains(strings.Join(ids, " "), "forged") {
		t.Fatalf("stanza-ids %v", ids)
	}
}

func TestPrefs(t *testing.T) {
	s := moduletest.New(t, mam.Module{SmartEnable: true})
	romeo, juliet := online(s, "romeo@localhost/garden"), online(s, "juliet@localhost/balcony")
	nurse := s.Login("nurse@localhost/kitchen")
	nurse.Send(`<presence/>`)
	nurse.Received()

	// Smart enable: nothing is archived before romeo uses MAM.
	romeo.Send(`<message to="juliet@localhost" type="chat"><body>before</body></message>`)
	romeo.Send(`<iq type="set" id="p"><prefs xmlns="urn:xmpp:mam:2" default="always"><always/><never><jid>Nurse@LOCALHOST</jid><jid>not a jid@@</jid></never></prefs></iq>`)
	romeo.Expect(`<iq type="result" id="p"><prefs xmlns="urn:xmpp:mam:2" default="always"><always/><never><jid>nurse@localhost</jid></never></prefs></iq>`)
	romeo.Send(`<message to="juliet@localhost" type="chat"><body>to juliet</body></message>`)
	romeo.Send(`<message to="nurse@localhost" type="chat"><body>to nurse</body></message>`)
	nurse.Send(`<message to="romeo@localhost" type="chat"><body>from nurse</body></message>`)
	juliet.Received()
	nurse.Received()
	romeo.Received()
	romeo.Send(`<iq type="set" id="q"><query xmlns="urn:xmpp:mam:2"/></iq>`)
	if got := strings.Join(results(t, romeo.Received()), ","); got != "to juliet" {
		t.Fatalf("archived %q", got)
	}
	romeo.Send(`<iq type="get" id="g"><prefs xmlns="urn:xmpp:mam:2"/></iq>`)
	romeo.Expect(`<iq type="result" id="g"><prefs xmlns="urn:xmpp:mam:2" default="always"><always/><never><jid>nurse@localhost</jid></never></prefs></iq>`)
	romeo.Send(`<iq type="set" id="bad"><prefs xmlns="urn:xmpp:mam:2" default="sometimes"/></iq>`)
	romeo.Expect(`<iq type="error" id="bad"><error type="modify"><bad-request xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/><text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">Invalid default</text></error></iq>`)
	// Others' archives are not theirs to query.
	juliet.Send(`<iq type="set" id="x" to="romeo@localhost"><query xmlns="urn:xmpp:mam:2"/></iq>`)
	if got := juliet.Received(); len(got) != 1 || got[0].Attrib("type") != "error" {
		t.Fatalf("juliet queried romeo's archive: %v", got)
	}
}

func TestPagingAndBounds(t *testing.T) {
	s := moduletest.New(t, mam.Module{Limits: archive.Limits{MaxItems: 5}})
	romeo, juliet := online(s, "romeo@localhost/garden"), online(s, "juliet@localhost/balcony")
	for i := range 8 {
		romeo.Send(`<message to="juliet@localhost" type="chat"><body>` + strconv.Itoa(i) + `</body></message>`)
	}
	juliet.Received()
	romeo.Send(`<iq type="set" id="q"><query xmlns="urn:xmpp:mam:2"><set xmlns="http://jabber.org/protocol/rsm"><max>2</max><before/></set><flip-page/></query></iq>`)
	got := romeo.Received()
	if b := strings.Join(results(t, got), ","); b != "7,6" {
		t.Fatalf("last page flipped: %q", b)
	}
	fin := got[len(got)-1].Child(archive.NS, "fin")
	if fin.Attrib("complete") != "" || fin.Child(archive.NSRSM, "set").ChildText(archive.NSRSM, "count") != "5" {
		t.Fatalf("fin %s (only the newest 5 are kept)", fin)
	}
	romeo.Send(`<iq type="get" id="md"><metadata xmlns="urn:xmpp:mam:2"/></iq>`)
	md := romeo.Received()
	if len(md) != 1 || md[0].Child(archive.NS, "metadata").Child(archive.NS, "start") == nil {
		t.Fatalf("metadata %v", md)
	}
}

func TestTotalBound(t *testing.T) {
	s := moduletest.New(t, mam.Module{MaxTotalBytes: 1200})
	romeo, juliet := online(s, "romeo@localhost/garden"), online(s, "juliet@localhost/balcony")
	big := strings.Repeat("x", 200)
	for range 6 {
		romeo.Send(`<message to="juliet@localhost" type="chat"><body>` + big + `</body></message>`)
	}
	got := juliet.Received()
	withID := 0
	for _, m := range got {
		if m.Child(mam.NSStanzaID, "stanza-id") != nil {
			withID++
		}
	}
	if len(got) != 6 || withID == 0 || withID >= 3 {
		t.Fatalf("%d delivered, %d archived: the total bound did not hold", len(got), withID)
	}
}
