package muc

import (
	"strings"
	"testing"
)

// TestBanReasonKept pins Prosody trunk's outcast list: each ban's reason
// is kept with it and listed, a ban without one lists none, and lifting
// the ban (or changing the affiliation) forgets it.
func TestBanReasonKept(t *testing.T) {
	h := newHarness(t)
	h.createRoom(romeo, "room", "Romeo", nil)
	ban := func(id, who, reason string) {
		t.Helper()
		r := ""
		if reason != "" {
			r = "<reason>" + reason + "</reason>"
		}
		got := h.send(romeo, `<iq type='set' id='`+id+`' to='room@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#admin'><item jid='`+who+`' affiliation='outcast'>`+r+`</item></query></iq>`)
		// The room tells its occupants by message first (status 301).
		h.expect(got[len(got)-1:], `<iq type='result' id='`+id+`'/>`)
	}
	list := func(want string) {
		t.Helper()
		h.expect(h.send(romeo, `<iq type='get' id='l' to='room@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='outcast'/></query></iq>`),
			`<iq type='result' id='l'><query xmlns='http://jabber.org/protocol/muc#admin'>`+want+`</query></iq>`)
	}
	ban("b1", "tybalt@localhost", "Brawling")
	ban("b2", "benvolio@localhost", "")
	long := strings.Repeat("é", MaxBanReasonBytes) // two bytes each: cut in half
	ban("b3", "paris@localhost", long)
	list(`<item affiliation='outcast' jid='tybalt@localhost'><reason>Brawling</reason></item>` +
		`<item affiliation='outcast' jid='benvolio@localhost'/>` +
		`<item affiliation='outcast' jid='paris@localhost'><reason>` + long[:MaxBanReasonBytes] + `</reason></item>`)

	// Lifted, then banned again without a reason: the old one is gone.
	h.send(romeo, `<iq type='set' id='u' to='room@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#admin'><item jid='tybalt@localhost' affiliation='none'/></query></iq>`)
	h.send(romeo, `<iq type='set' id='u2' to='room@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#admin'><item jid='paris@localhost' affiliation='member'/></query></iq>`)
	ban("b4", "tybalt@localhost", "")
	list(`<item affiliation='outcast' jid='benvolio@localhost'/><item affiliation='outcast' jid='tybalt@localhost'/>`)
}
