package muc

import (
	"encoding/xml"
	"slices"
	"strings"
	"testing"

	"github.com/muctest/muctest/xmlnode"
)

// TestBroadcastWireForm checks what room.broadcast routes: the stanza's
// payload was serialised once (xmlnode's Freeze) and each recipient's form
// must encode on a jabber:client stream exactly as a deep copy of the same
// tree does, read back as that tree, and be addressed each to its own
// session; through an AddressedRouter, every recipient gets the same
// stanza.
func TestBroadcastWireForm(t *testing.T) {
	tests := []struct {
		name   string
		config map[string]string
		from   string
		send   string
		want   []string // "to" of each routed copy, in order
	}{
		{
			name: "groupchat",
			from: juliet,
			// Escapes, a foreign payload with its own namespaces, a
			// forged stanza-id the room drops.
			send: `<message type='groupchat' to='room@conference.localhost' id='a&amp;b'>
				<body xml:lang='en'>&lt;3 &amp; "quotes"</body>
				<html xmlns='http://jabber.org/protocol/xhtml-im'><body xmlns='http://www.w3.org/1999/xhtml'><p>hi</p></body></html>
				<stanza-id xmlns='urn:xmpp:sid:0' by='room@conference.localhost' id='forged'/></message>`,
			want: []string{romeo, juliet, "juliet@localhost/phone", nurse},
		},
		{
			name:   "voice request to moderators",
			config: map[string]string{"muc#roomconfig_moderatedroom": "1"},
			from:   nurse,
			send: `<message to='room@conference.localhost'><x xmlns='jabber:x:data' type='submit'>
				<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#request</value></field>
				<field var='muc#role'><value>participant</value></field></x></message>`,
			want: []string{romeo},
		},
	}
	for _, tt := range tests {
		for _, addressed := range []bool{false, true} {
			name := tt.name + "/Route"
			if addressed {
				name = tt.name + "/RouteTo"
			}
			t.Run(name, func(t *testing.T) {
				testBroadcastWireForm(t, addressed, tt.config, tt.from, tt.send, tt.want)
			})
		}
	}
}

// testBroadcastWireForm is one case of TestBroadcastWireForm, through a
// plain router (addressed copies) or an AddressedRouter (one shared
// stanza, addressed by the router).
func testBroadcastWireForm(t *testing.T, addressed bool, config map[string]string, from, send string, want []string) {
	h := newHarness(t)
	if addressed {
		h = newAddressedHarness(t)
	}
	h.createRoom(romeo, "room", "Romeo", config)
	h.join(juliet, "room", "Juliet")
	h.join("juliet@localhost/phone", "room", "Juliet")
	h.join(nurse, "room", "Nurse")
	var got []string
	for _, st := range h.send(from, send) {
		got = append(got, st.Attrib("to"))
		wire := string(st.AppendTo(nil, nsClient))
		if want := string(st.Copy().AppendTo(nil, nsClient)); wire != want {
			t.Fatalf("copy for %s encodes as\n%s\nits tree as\n%s", st.Attrib("to"), wire, want)
		}
		back := readFromStream(t, wire)
		if back.String() != st.String() {
			t.Errorf("read back:\n%s\nwant\n%s", back, st)
		}
		if strings.Contains(wire, "forged") {
			t.Errorf("forged stanza-id relayed: %s", wire)
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("routed to %v, want %v", got, want)
	}
	if addressed {
		// One stanza for every recipient: nothing built per recipient.
		// (Checked on the map itself: a loop over it would check
		// nothing when RouteTo was never called.)
		if len(h.shared) != 1 {
			t.Fatalf("RouteTo got %d distinct stanzas, want 1 shared by all %d recipients: %v", len(h.shared), len(want), h.shared)
		}
		for st, n := range h.shared {
			if n != len(want) {
				t.Errorf("RouteTo got %s %d times, want %d", st, n, len(want))
			}
		}
	}
}

// readFromStream reads stanza as a client does, inside a jabber:client
// stream.
func readFromStream(t *testing.T, stanza string) *xmlnode.Element {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(`<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>` + stanza))
	if _, err := d.Token(); err != nil {
		t.Fatal(err)
	}
	el, err := xmlnode.ReadNext(d, xmlnode.Limits{Declared: []string{nsClient, "http://etherx.jabber.org/streams"}})
	if err != nil {
		t.Fatalf("reading %s: %v", stanza, err)
	}
	return el
}

// TestPresenceBroadcastShared checks a join's presence to the others: one
// stanza per form (with or without the real JID), its payload frozen,
// routed to every session that gets that form (through an
// AddressedRouter), encoding as a deep copy does; and the same on a plain
// router.
func TestPresenceBroadcastShared(t *testing.T) {
	for _, addressed := range []bool{false, true} {
		h := newHarness(t)
		if addressed {
			h = newAddressedHarness(t)
		}
		h.createRoom(romeo, "room", "Romeo", nil)
		h.join(juliet, "room", "Juliet")
		h.join("juliet@localhost/phone", "room", "Juliet")
		h.join(nurse, "room", "Nurse")
		out := h.join("benvolio@localhost/x", "room", "Benvolio")
		others := 0
		for _, st := range out {
			if wire, want := string(st.AppendTo(nil, nsClient)), string(st.Copy().AppendTo(nil, nsClient)); wire != want {
				t.Errorf("addressed %v: %s encodes as\n%s\nits tree as\n%s", addressed, st.Attrib("to"), wire, want)
			}
			if st.Name.Local == "presence" && st.Attrib("from") == "room@"+service+"/Benvolio" && st.Attrib("to") != "benvolio@localhost/x" {
				others++
			}
		}
		if others != 4 {
			t.Errorf("addressed %v: the join went to %d other sessions, want 4:\n%s", addressed, others, dump(out))
		}
		if addressed {
			// Two forms: with the real JID for Romeo (the owner, a
			// moderator), without for the other three sessions.
			// (The occupant list Benvolio got is routed the same
			// way, one shared entry per occupant: left out here.)
			counts := []int{}
			for st, n := range h.shared {
				if st.Attrib("from") == "room@"+service+"/Benvolio" {
					counts = append(counts, n)
				}
			}
			slices.Sort(counts)
			if !slices.Equal(counts, []int{1, 3}) {
				t.Errorf("the join's presence was routed as %v (stanza -> recipients), want one stanza to 1, one to 3", h.shared)
			}
		}
	}
}
