package muc

import (
	"strings"
	"testing"
)

// TestConfigTextBounds: a configuration form whose room name or
// description is over its bound is refused modify/not-acceptable and
// changes nothing (the name listed in disco#items stays); at the bound, or
// with the bound off, it is applied.
func TestConfigTextBounds(t *testing.T) {
	tests := []struct {
		name        string
		limits      Limits
		field       string
		size        int
		wantRefusal string // "" when the form is applied
	}{
		{"name at the default bound", Limits{}, fRoomName, DefaultMaxRoomNameBytes, ""},
		{"name over the default bound", Limits{}, fRoomName, DefaultMaxRoomNameBytes + 1, "Room name is too long (at most 512 bytes)"},
		{"description at the default bound", Limits{}, fRoomDesc, DefaultMaxRoomDescBytes, ""},
		{"description over the default bound", Limits{}, fRoomDesc, DefaultMaxRoomDescBytes + 1, "Room description is too long (at most 4096 bytes)"},
		{"own name bound", Limits{MaxRoomNameBytes: 10}, fRoomName, 11, "Room name is too long (at most 10 bytes)"},
		{"no bound", Limits{MaxRoomNameBytes: -1, MaxRoomDescBytes: -1}, fRoomName, 100 << 10, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.svc.cfg.Limits = tt.limits
			h.createRoom(romeo, "room", "Romeo", map[string]string{fRoomName: "Old", fPublic: "1"})
			value := strings.Repeat("n", tt.size)
			got := h.configure(romeo, "room", map[string]string{tt.field: value})
			if tt.wantRefusal != "" {
				h.expect(got, `<iq type='error' id='cfg'><error type='modify'><not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>
					<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>`+tt.wantRefusal+`</text></error></iq>`)
			} else if len(got) == 0 || got[0].Attrib("type") != "result" {
				t.Fatalf("form refused:\n%s", dump(got))
			}
			r := h.svc.rooms["room@conference.localhost"]
			wantName, wantDesc := "Old", ""
			if tt.wantRefusal == "" {
				if tt.field == fRoomName {
					wantName = value
				} else {
					wantDesc = value
				}
			}
			if r.conf.name != wantName || r.conf.description != wantDesc {
				t.Errorf("room name %d bytes, description %d bytes; want %d and %d", len(r.conf.name), len(r.conf.description), len(wantName), len(wantDesc))
			}
			items := h.send(juliet, `<iq type='get' id='items' to='conference.localhost'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>`)
			if len(items) != 1 || !strings.Contains(items[0].String(), "name='"+wantName+"'") && !strings.Contains(items[0].String(), `name="`+wantName+`"`) {
				t.Errorf("disco#items lists:\n%s\nwant the name %.20q…", dump(items), wantName)
			}
		})
	}
}
