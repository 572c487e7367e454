package muc

import (
	"fmt"
	"strings"
	"testing"

	"github.com/muctest/muctest/archive"
	"github.com/muctest/muctest/xmlnode"
)

const mercutio = "mercutio@localhost/square"

// moderationScene makes the room "room": Romeo owner (moderator), Juliet
// participant, the Nurse a visitor; Juliet says two things. It returns
// the stanza-ids of her messages.
func moderationScene(t *testing.T, fields map[string]string) (*harness, []string) {
	t.Helper()
	h := newHarness(t)
	h.createRoom(romeo, "room", "Romeo", fields)
	h.join(juliet, "room", "Juliet")
	h.join(nurse, "room", "Nurse")
	h.send(romeo, `<iq type='set' id='v' to='room@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#admin'><item nick='Nurse' role='visitor'/></query></iq>`)
	var sids []string
	for i, b := range []string{"Spam, spam, spam!", "Good morrow"} {
		got := h.send(juliet, fmt.Sprintf(`<message type='groupchat' id='j%d' to='room@conference.localhost'><body>%s</body></message>`, i+1, b))
		if len(got) != 3 {
			t.Fatalf("message %d reached %d occupants:\n%s", i+1, len(got), dump(got))
		}
		sid := ""
		if el := got[0].Child(nsStanzaID, "stanza-id"); el != nil {
			sid = el.Attrib("id")
		}
		sids = append(sids, sid)
	}
	return h, sids
}

func v1Request(id, reason string) string {
	return `<iq type='set' id='mod' to='room@conference.localhost'><moderate xmlns='urn:xmpp:message-moderate:1' id='` + id + `'>` +
		`<retract xmlns='urn:xmpp:message-retract:1'/>` + reasonEl(reason) + `</moderate></iq>`
}

func v0Request(id, reason string) string {
	return `<iq type='set' id='mod' to='room@conference.localhost'><apply-to xmlns='urn:xmpp:fasten:0' id='` + id + `'>` +
		`<moderate xmlns='urn:xmpp:message-moderate:0'><retract xmlns='urn:xmpp:message-retract:0'/>` + reasonEl(reason) + `</moderate></apply-to></iq>`
}

func reasonEl(r string) string {
	if r == "" {
		return ""
	}
	return "<reason>" + r + "</reason>"
}

func errorOf(st *xmlnode.Element) string {
	e := st.Child(nsClient, "error")
	if st.Attrib("type") != "error" || e == nil || len(e.Elements()) == 0 {
		return ""
	}
	return e.Attrib("type") + "/" + e.Elements()[0].Name.Local
}

// checkTotals checks the service's history and archive byte totals
// against what the rooms hold.
func checkTotals(t *testing.T, h *harness) {
	t.Helper()
	hist, arch := 0, int64(0)
	for _, r := range h.svc.rooms {
		n := 0
		for _, e := range r.history {
			if e.chars != storedSize(e.msg) {
				t.Errorf("history entry counted %d bytes, is %d", e.chars, storedSize(e.msg))
			}
			n += e.chars
		}
		if n != r.histBytes {
			t.Errorf("room history counted %d bytes, holds %d", r.histBytes, n)
		}
		hist += n
		if r.arch != nil {
			arch += r.arch.Bytes()
			if len(r.archKeys) != r.arch.Len() {
				t.Errorf("%d archive keys for %d archived messages", len(r.archKeys), r.arch.Len())
			}
		}
	}
	if hist != h.svc.histBytes || arch != h.svc.archBytes {
		t.Errorf("totals: history %d (rooms hold %d), archive %d (rooms hold %d)", h.svc.histBytes, hist, h.svc.archBytes, arch)
	}
}

func TestModerationRequests(t *testing.T) {
	cases := []struct {
		name    string
		from    string
		request func(sids []string) string
		noArch  bool   // archiving off: no stanza-ids
		short   bool   // a history of one message: the first is archived only
		setup   string // a stanza Romeo sends first
		dupID   bool   // Juliet sends another message with id j1 first
		err     string // "" for success
		ref     int    // which of Juliet's messages is retracted
	}{
		{name: "moderator v1 by stanza-id", from: romeo, request: func(s []string) string { return v1Request(s[0], "Spam") }},
		{name: "moderator v0 by stanza-id", from: romeo, request: func(s []string) string { return v0Request(s[1], "") }, ref: 1},
		{name: "moderator v0 by id attribute", from: romeo, request: func(s []string) string { return v0Request("j1", "Spam") }},
		{name: "moderator v1 by id attribute", from: romeo, request: func(s []string) string { return v1Request("j2", "") }, ref: 1},
		{name: "by id attribute without archive", from: romeo, noArch: true, request: func(s []string) string { return v1Request("j1", "") }},
		{name: "archived only, by stanza-id", from: romeo, short: true, request: func(s []string) string { return v1Request(s[0], "") }},
		{name: "archived only, by id attribute", from: romeo, short: true, request: func(s []string) string { return v0Request("j1", "") }},
		{name: "participant made moderator", from: juliet, request: func(s []string) string { return v1Request(s[0], "") },
			setup: `<iq type='set' id='m' to='room@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#admin'><item nick='Juliet' role='moderator'/></query></iq>`},
		{name: "service admin outside the room", from: admin, request: func(s []string) string { return v0Request(s[0], "") }},
		{name: "participant", from: juliet, request: func(s []string) string { return v1Request(s[0], "") }, err: "auth/forbidden"},
		{name: "visitor", from: nurse, request: func(s []string) string { return v0Request(s[0], "") }, err: "auth/forbidden"},
		{name: "outsider", from: mercutio, request: func(s []string) string { return v1Request(s[0], "") }, err: "auth/forbidden"},
		{name: "unknown id", from: romeo, request: func(s []string) string { return v1Request("nope", "") }, err: "cancel/item-not-found"},
		{name: "ambiguous id attribute", from: romeo, dupID: true, request: func(s []string) string { return v0Request("j1", "") }, err: "cancel/conflict"},
		{name: "ambiguous id attribute, no archive", from: romeo, dupID: true, noArch: true, request: func(s []string) string { return v0Request("j1", "") }, err: "cancel/conflict"},
		{name: "ambiguity does not hide a stanza-id", from: romeo, dupID: true, request: func(s []string) string { return v0Request(s[0], "") }},
		{name: "no id", from: romeo, request: func(s []string) string { return v1Request("", "") }, err: "modify/bad-request"},
		{name: "oversized id", from: romeo, request: func(s []string) string { return v1Request(strings.Repeat("x", MaxModerationIDBytes+1), "") }, err: "modify/bad-request"},
		{name: "v1 without retract", from: romeo, err: "modify/bad-request", request: func(s []string) string {
			return `<iq type='set' id='mod' to='room@conference.localhost'><moderate xmlns='urn:xmpp:message-moderate:1' id='` + s[0] + `'><reason>x</reason></moderate></iq>`
		}},
		{name: "v0 without retract", from: romeo, err: "modify/bad-request", request: func(s []string) string {
			return `<iq type='set' id='mod' to='room@conference.localhost'><apply-to xmlns='urn:xmpp:fasten:0' id='` + s[0] + `'><moderate xmlns='urn:xmpp:message-moderate:0'/></apply-to></iq>`
		}},
		{name: "other fastening", from: romeo, err: "cancel/service-unavailable", request: func(s []string) string {
			return `<iq type='set' id='mod' to='room@conference.localhost'><apply-to xmlns='urn:xmpp:fasten:0' id='` + s[0] + `'><external xmlns='urn:xmpp:fasten:0' name='body'/></apply-to></iq>`
		}},
		{name: "get", from: romeo, err: "cancel/service-unavailable", request: func(s []string) string {
			return strings.Replace(v1Request(s[0], ""), "type='set'", "type='get'", 1)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fields := map[string]string{}
			if c.noArch {
				fields[fArchiving] = "0"
			}
			if c.short {
				fields[fHistoryLength] = "1"
			}
			h, sids := moderationScene(t, fields)
			if c.dupID {
				h.send(juliet, `<message type='groupchat' id='j1' to='room@conference.localhost'><body>Again</body></message>`)
			}
			if c.setup != "" {
				if got := h.send(romeo, c.setup); len(got) == 0 || errorOf(got[len(got)-1]) != "" {
					t.Fatalf("setup failed:\n%s", dump(got))
				}
			}
			before := h.svc.rooms["room@"+service].arch
			var beforeLen int
			if before != nil {
				beforeLen = before.Len()
			}
			got := h.send(c.from, c.request(sids))
			if c.err != "" {
				if len(got) != 1 || errorOf(got[0]) != c.err {
					t.Fatalf("want one %s error, got:\n%s", c.err, dump(got))
				}
				if r := h.svc.rooms["room@"+service]; r.arch != nil && r.arch.Len() != beforeLen {
					t.Errorf("a refused moderation archived something")
				}
				checkTotals(t, h)
				return
			}
			// One announcement per occupant, then the result.
			if len(got) != 4 || got[3].Attrib("type") != "result" || got[3].Attrib("to") != c.from {
				t.Fatalf("want 3 announcements and the result, got:\n%s", dump(got))
			}
			ref := "j" + fmt.Sprint(c.ref+1)
			if !c.noArch {
				ref = sids[c.ref]
			}
			for i, to := range []string{romeo, juliet, nurse} {
				m := got[i]
				if m.Attrib("to") != to || m.Attrib("from") != "room@"+service || m.Attrib("type") != "groupchat" {
					t.Fatalf("announcement %d misaddressed: %s", i, m)
				}
				if id := m.Child(nsRetract1, "retract").Attrib("id"); id != ref {
					t.Errorf("v1 retract names %q, want %q", id, ref)
				}
				if id := m.Child(nsFasten, "apply-to").Attrib("id"); id != ref {
					t.Errorf("v0 apply-to names %q, want %q", id, ref)
				}
			}
			checkTotals(t, h)
			// A joiner's history holds the tombstone where the message
			// was, no body, then the announcement.
			j := h.join(mercutio, "room", "Mercutio")
			var history []*xmlnode.Element
			for _, m := range j {
				if m.Name.Local == "message" && m.Child(nsDelay, "delay") != nil {
					history = append(history, m)
				}
			}
			retracted := 0
			for _, m := range history {
				if m.Attrib("id") == "j"+fmt.Sprint(c.ref+1) && m.Attrib("from") == "room@"+service+"/Juliet" && m.Child(nsRetract1, "retracted") != nil {
					retracted++
					if m.Child(nsClient, "body") != nil {
						t.Errorf("tombstone kept the body: %s", m)
					}
				}
			}
			if want := map[bool]int{false: 1, true: 0}[c.short]; retracted != want {
				t.Errorf("want %d tombstone in the history, got %d:\n%s", want, retracted, dump(history))
			}
			if s := dump(history); strings.Contains(s, []string{"Spam, spam", "Good morrow"}[c.ref]) {
				t.Errorf("history still holds the retracted text:\n%s", s)
			}
			if c.noArch {
				return
			}
			res := h.send(juliet, `<iq type='set' id='q' to='room@conference.localhost'><query xmlns='urn:xmpp:mam:2' queryid='Q'/></iq>`)
			s := dump(res)
			if strings.Contains(s, []string{"Spam, spam", "Good morrow"}[c.ref]) || !strings.Contains(s, "retracted") || !strings.Contains(s, moderationFallback) {
				t.Errorf("archive after moderation:\n%s", s)
			}
		})
	}
}

// TestModerationWireForm pins the announcement, the tombstones and the
// byte accounting of one moderation.
func TestModerationWireForm(t *testing.T) {
	h, sids := moderationScene(t, nil)
	r := h.svc.rooms["room@"+service]
	histBefore, archBefore := h.svc.histBytes, h.svc.archBytes
	oid := func(bare string) string { return r.occupantID(bare) }
	got := h.send(romeo, v1Request(sids[0], "Spam is not allowed"))
	ann := `<message type='groupchat' from='room@conference.localhost' to='%s' id='{scansion:any}'>
		<retract xmlns='urn:xmpp:message-retract:1' id='` + sids[0] + `'>
			<moderated xmlns='urn:xmpp:message-moderate:1' by='room@conference.localhost/Romeo'><occupant-id xmlns='urn:xmpp:occupant-id:0' id='` + oid("romeo@localhost") + `'/></moderated>
			<reason>Spam is not allowed</reason>
		</retract>
		<apply-to xmlns='urn:xmpp:fasten:0' id='` + sids[0] + `'>
			<moderated xmlns='urn:xmpp:message-moderate:0' by='room@conference.localhost/Romeo'>
				<occupant-id xmlns='urn:xmpp:occupant-id:0' id='` + oid("romeo@localhost") + `'/>
				<retract xmlns='urn:xmpp:message-retract:0'/>
				<reason>Spam is not allowed</reason>
			</moderated>
		</apply-to>
		<body>` + moderationFallback + `</body>
		<fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:message-retract:1'/>
		<store xmlns='urn:xmpp:hints'/>
		<stanza-id xmlns='urn:xmpp:sid:0' by='room@conference.localhost' id='{scansion:any}'/>
	</message>`
	h.expect(got, fmt.Sprintf(ann, romeo), fmt.Sprintf(ann, juliet), fmt.Sprintf(ann, nurse),
		`<iq type='result' id='mod' from='room@conference.localhost' to='romeo@localhost/garden'/>`)

	tomb := `<message type='groupchat' id='j1' from='room@conference.localhost/Juliet'>
		<occupant-id xmlns='urn:xmpp:occupant-id:0' id='` + oid("juliet@localhost") + `'/>
		<retracted xmlns='urn:xmpp:message-retract:1' stamp='2008-08-22T21:09:04Z'>
			<moderated xmlns='urn:xmpp:message-moderate:1' by='room@conference.localhost/Romeo'><occupant-id xmlns='urn:xmpp:occupant-id:0' id='` + oid("romeo@localhost") + `'/></moderated>
			<reason>Spam is not allowed</reason>
		</retracted>
		<moderated xmlns='urn:xmpp:message-moderate:0' by='room@conference.localhost/Romeo'>
			<retracted xmlns='urn:xmpp:message-retract:0' stamp='2008-08-22T21:09:04Z'/>
			<reason>Spam is not allowed</reason>
			<occupant-id xmlns='urn:xmpp:occupant-id:0' id='` + oid("romeo@localhost") + `'/>
		</moderated>`
	h.expect([]*xmlnode.Element{r.history[0].msg.Expanded()}, tomb+`
		<delay xmlns='urn:xmpp:delay' from='room@conference.localhost' stamp='2008-08-22T21:09:04Z'/>
		<stanza-id xmlns='urn:xmpp:sid:0' by='room@conference.localhost' id='`+sids[0]+`'/></message>`)
	page := h.send(nurse, `<iq type='set' id='q' to='room@conference.localhost'><query xmlns='urn:xmpp:mam:2' queryid='Q'/></iq>`)
	if len(page) != 4 {
		t.Fatalf("want 3 archived messages and fin:\n%s", dump(page))
	}
	fwd := page[0].Child(nsMAM, "result").Child(archive.NSForward, "forwarded").Child(nsClient, "message")
	h.expect([]*xmlnode.Element{fwd}, tomb+`</message>`)
	if !strings.Contains(page[1].String(), "Good morrow") || !strings.Contains(page[2].String(), moderationFallback) {
		t.Errorf("the other messages changed:\n%s", dump(page))
	}
	// The announcement was added to both; the tombstone replaced a
	// message of its own size or so: totals are what the rooms hold.
	if h.svc.histBytes <= histBefore || h.svc.archBytes <= archBefore {
		t.Errorf("announcement not counted: history %d -> %d, archive %d -> %d", histBefore, h.svc.histBytes, archBefore, h.svc.archBytes)
	}
	checkTotals(t, h)

	// Moderating it again is a success that changes nothing; the
	// announcement itself cannot be moderated.
	h.expect(h.send(romeo, v0Request(sids[0], "again")), `<iq type='result' id='mod' to='romeo@localhost/garden'/>`)
	annID := r.history[len(r.history)-1].sid
	h.expect(h.send(romeo, v1Request(annID, "")), `<iq type='error' id='mod'><error type='cancel'>
		<not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>{scansion:any}</text></error></iq>`)
	checkTotals(t, h)
}

// TestModerationReasonBound: an oversized reason is cut, at a character
// boundary, before it is stored or sent.
func TestModerationReasonBound(t *testing.T) {
	h, sids := moderationScene(t, nil)
	got := h.send(romeo, v1Request(sids[0], strings.Repeat("é", MaxModerationReasonBytes)))
	if len(got) != 4 {
		t.Fatalf("want 3 announcements and the result:\n%s", dump(got))
	}
	reason := got[0].Child(nsRetract1, "retract").ChildText(nsRetract1, "reason")
	if len(reason) != MaxModerationReasonBytes || strings.Count(reason, "é") != MaxModerationReasonBytes/2 {
		t.Errorf("reason of %d bytes sent", len(reason))
	}
	checkTotals(t, h)
}

// TestModerationTotalsBound: a tombstone larger than the message it
// replaces does not take the service past its archive total: the message
// is dropped from the archive instead.
func TestModerationTotalsBound(t *testing.T) {
	h, sids := moderationScene(t, nil)
	h.svc.cfg.Limits.ArchiveTotalBytes = h.svc.archBytes + 10
	r := h.svc.rooms["room@"+service]
	n := r.arch.Len()
	got := h.send(romeo, v1Request(sids[0], strings.Repeat("r", 500)))
	if len(got) != 4 {
		t.Fatalf("want 3 announcements and the result:\n%s", dump(got))
	}
	if r.arch.Len() != n-1 || h.svc.archBytes > h.svc.cfg.Limits.ArchiveTotalBytes {
		t.Errorf("archive holds %d messages (was %d), %d bytes of %d", r.arch.Len(), n, h.svc.archBytes, h.svc.cfg.Limits.ArchiveTotalBytes)
	}
	checkTotals(t, h)
}

func TestModerationDisco(t *testing.T) {
	h, _ := moderationScene(t, nil)
	s := dump(h.send(nurse, `<iq type='get' id='d' to='room@conference.localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`))
	for _, f := range []string{nsModerate0, nsModerate1} {
		if !strings.Contains(s, "var=\""+f+"\"") && !strings.Contains(s, "var='"+f+"'") {
			t.Errorf("room disco#info lacks %s:\n%s", f, s)
		}
	}
}

// TestForgedModerationDropped: an occupant's message cannot carry what
// only the room sends (announcements, tombstone markers); a retraction of
// one's own message (XEP-0424) passes.
func TestForgedModerationDropped(t *testing.T) {
	h, sids := moderationScene(t, nil)
	got := h.send(juliet, `<message type='groupchat' id='f' to='room@conference.localhost'><body>x</body>
		<retract xmlns='urn:xmpp:message-retract:1' id='`+sids[1]+`'><moderated xmlns='urn:xmpp:message-moderate:1' by='room@conference.localhost/Romeo'/></retract>
		<apply-to xmlns='urn:xmpp:fasten:0' id='`+sids[1]+`'><moderated xmlns='urn:xmpp:message-moderate:0' by='room@conference.localhost/Romeo'><retract xmlns='urn:xmpp:message-retract:0'/></moderated></apply-to>
		<retracted xmlns='urn:xmpp:message-retract:1' stamp='2020-01-01T00:00:00Z'/>
		<moderated xmlns='urn:xmpp:message-moderate:0' by='x'/>
		<apply-to xmlns='urn:xmpp:fasten:0' id='`+sids[1]+`'><external xmlns='urn:xmpp:fasten:0' name='body'/></apply-to>
	</message>`)
	if len(got) != 3 {
		t.Fatalf("want the message for 3 occupants:\n%s", dump(got))
	}
	s := got[1].String()
	if strings.Contains(s, "moderated") || strings.Contains(s, "retracted") || !strings.Contains(s, "external") {
		t.Errorf("forged moderation relayed, or a fastening lost: %s", s)
	}
	got = h.send(juliet, `<message type='groupchat' id='own' to='room@conference.localhost'><retract xmlns='urn:xmpp:message-retract:1' id='`+sids[1]+`'/><body>retracted</body></message>`)
	if len(got) != 3 || got[1].Child(nsRetract1, "retract") == nil {
		t.Errorf("a self-retraction was dropped:\n%s", dump(got))
	}
}
