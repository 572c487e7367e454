package muc

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/muctest/muctest/component"
	"github.com/muctest/muctest/xmlnode"
)

func TestCreateJoinOrder(t *testing.T) {
	h := newHarness(t)
	h.expect(h.join(romeo, "garden", "Romeo"),
		`<presence from='garden@conference.localhost/Romeo' to='romeo@localhost/garden'>
			<occupant-id xmlns='urn:xmpp:occupant-id:0' id='{scansion:any}'/>
			<x xmlns='http://jabber.org/protocol/muc#user'>
				<status code='201'/><item affiliation='owner' role='moderator' jid='romeo@localhost/garden'/><status code='110'/>
			</x></presence>`,
		`<message type='groupchat' from='garden@conference.localhost' to='romeo@localhost/garden'><subject/></message>`)

	// Locked until configured: others are told the room does not exist.
	h.expect(h.join(juliet, "garden", "Juliet"),
		`<presence type='error' from='garden@conference.localhost/Juliet'><error type='cancel' by='conference.localhost'>
			<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>`)

	h.expect(h.send(romeo, `<iq type='set' id='c1' to='garden@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>`),
		`<iq type='result' id='c1' from='garden@conference.localhost' to='romeo@localhost/garden'/>`)

	h.expect(h.send(romeo, `<message type='groupchat' to='garden@conference.localhost' id='m1'><body>Hello</body></message>`),
		`<message type='groupchat' id='m1' from='garden@conference.localhost/Romeo' to='romeo@localhost/garden'><body>Hello</body>
			<occupant-id xmlns='urn:xmpp:occupant-id:0' id='{scansion:any}'/><stanza-id xmlns='urn:xmpp:sid:0' by='garden@conference.localhost' id='{scansion:any}'/></message>`)

	// Join order: others, new occupant's broadcast, self with 110,
	// history with delay, subject.
	h.expect(h.join(juliet, "garden", "Juliet"),
		`<presence from='garden@conference.localhost/Romeo' to='juliet@localhost/balcony'>
			<x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='owner' role='moderator'/></x></presence>`,
		`<presence from='garden@conference.localhost/Juliet' to='romeo@localhost/garden'>
			<x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='participant' jid='juliet@localhost/balcony'/></x></presence>`,
		`<presence from='garden@conference.localhost/Juliet' to='juliet@localhost/balcony'>
			<x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='participant' jid='juliet@localhost/balcony'/><status code='110'/></x></presence>`,
		`<message type='groupchat' id='m1' from='garden@conference.localhost/Romeo' to='juliet@localhost/balcony'><body>Hello</body>
			<delay xmlns='urn:xmpp:delay' from='garden@conference.localhost' stamp='2008-08-22T21:09:04Z'/></message>`,
		`<message type='groupchat' from='garden@conference.localhost' to='juliet@localhost/balcony'><subject/></message>`)
}

func TestJoinRefusals(t *testing.T) {
	tests := []struct {
		name   string
		fields map[string]string
		setup  func(h *harness)
		from   string
		nick   string
		extra  string
		typ    string
		cond   string
	}{
		{name: "password missing", fields: map[string]string{"muc#roomconfig_roomsecret": "s3cret"}, from: juliet, nick: "Juliet", typ: "auth", cond: "not-authorized"},
		{name: "password wrong", fields: map[string]string{"muc#roomconfig_roomsecret": "s3cret"}, from: juliet, nick: "Juliet",
			extra: "<password>nope</password>", typ: "auth", cond: "not-authorized"},
		{name: "members only", fields: map[string]string{"muc#roomconfig_membersonly": "1"}, from: juliet, nick: "Juliet", typ: "auth", cond: "registration-required"},
		{name: "nick taken", from: juliet, nick: "Romeo", typ: "cancel", cond: "conflict"},
		{name: "invisible nick", from: juliet, nick: " ", typ: "modify", cond: "not-allowed"},
		{name: "emoji nick", from: juliet, nick: "🤖", typ: "modify", cond: "jid-malformed"},
		{name: "banned", setup: func(h *harness) {
			h.send(romeo, `<iq type='set' id='b' to='room@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='outcast' jid='juliet@localhost'/></query></iq>`)
		}, from: juliet, nick: "Juliet", typ: "auth", cond: "forbidden"},
		{name: "full", fields: map[string]string{"muc#roomconfig_maxusers": "1"}, from: juliet, nick: "Juliet", typ: "cancel", cond: "service-unavailable"},
		{name: "reserved nick", setup: func(h *harness) {
			h.send(romeo, `<iq type='set' id='b' to='room@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member' jid='nurse@localhost' nick='Nurse'/></query></iq>`)
		}, from: juliet, nick: "Nurse", typ: "cancel", cond: "conflict"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.createRoom(romeo, "room", "Romeo", tt.fields)
			if tt.setup != nil {
				tt.setup(h)
			}
			h.expect(h.join(tt.from, "room", tt.nick, tt.extra),
				`<presence type='error' from='room@conference.localhost/`+tt.nick+`'><error type='`+tt.typ+`' by='room@conference.localhost'>
					<`+tt.cond+` xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>`)
		})
	}
}

func TestPasswordJoin(t *testing.T) {
	h := newHarness(t)
	h.createRoom(romeo, "room", "Romeo", map[string]string{"muc#roomconfig_roomsecret": "s3cret"})
	got := h.join(juliet, "room", "Juliet", "<password>s3cret</password>")
	if len(got) != 4 {
		t.Fatalf("want occupant list, broadcast, self and subject; got:\n%s", dump(got))
	}
}

func TestSubjectRules(t *testing.T) {
	h := newHarness(t)
	h.createRoom(romeo, "room", "Romeo", nil)
	h.join(juliet, "room", "Juliet")

	// Subject with a body is an ordinary message.
	got := h.send(juliet, `<message type='groupchat' to='room@conference.localhost'><subject>Hi</subject><body>there</body></message>`)
	if len(got) != 2 || got[0].Child(nsClient, "body") == nil {
		t.Fatalf("want the message relayed to both; got:\n%s", dump(got))
	}
	// Participants may not change the subject by default.
	h.expect(h.send(juliet, `<message type='groupchat' id='s1' to='room@conference.localhost'><subject>Mine</subject></message>`),
		`<message type='error' id='s1' from='room@conference.localhost'><error type='auth'><forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>
			<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>You are not allowed to change the subject</text></error></message>`)
	// Moderators may.
	h.expect(h.send(romeo, `<message type='groupchat' to='room@conference.localhost'><subject>Plans</subject></message>`),
		`<message type='groupchat' from='room@conference.localhost/Romeo' to='romeo@localhost/garden'><subject>Plans</subject></message>`,
		`<message type='groupchat' from='room@conference.localhost/Romeo' to='juliet@localhost/balcony'><subject>Plans</subject></message>`)
	// Joiners get it with a delay, after the history.
	got = h.join(nurse, "room", "Nurse")
	h.expect(got[len(got)-1:], `<message type='groupchat' from='room@conference.localhost/Romeo'><subject>Plans</subject>
		<delay xmlns='urn:xmpp:delay' from='room@conference.localhost' stamp='2008-08-22T21:09:04Z'/></message>`)
}

func TestNickChangeAndLeave(t *testing.T) {
	h := newHarness(t)
	h.createRoom(romeo, "room", "Romeo", nil)
	h.join(juliet, "room", "Juliet")
	h.expect(h.send(juliet, `<presence to='room@conference.localhost/Jules'/>`),
		`<presence type='unavailable' from='room@conference.localhost/Juliet' to='romeo@localhost/garden'>
			<x xmlns='http://jabber.org/protocol/muc#user'><status code='303'/><item affiliation='none' role='participant' jid='juliet@localhost/balcony' nick='Jules'/></x></presence>`,
		`<presence type='unavailable' from='room@conference.localhost/Juliet' to='juliet@localhost/balcony'>
			<x xmlns='http://jabber.org/protocol/muc#user'><status code='303'/><item affiliation='none' role='participant' jid='juliet@localhost/balcony' nick='Jules'/><status code='110'/></x></presence>`,
		`<presence from='room@conference.localhost/Jules' to='romeo@localhost/garden'>
			<x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='participant' jid='juliet@localhost/balcony'/></x></presence>`,
		`<presence from='room@conference.localhost/Jules' to='juliet@localhost/balcony'>
			<x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='participant' jid='juliet@localhost/balcony'/><status code='110'/></x></presence>`)
	h.expect(h.send(juliet, `<presence type='unavailable' to='room@conference.localhost/Jules'><status>bye</status></presence>`),
		`<presence type='unavailable' from='room@conference.localhost/Jules' to='romeo@localhost/garden'><status>bye</status>
			<x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='none' jid='juliet@localhost/balcony'/></x></presence>`,
		`<presence type='unavailable' from='room@conference.localhost/Jules' to='juliet@localhost/balcony'><status>bye</status>
			<x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='none' jid='juliet@localhost/balcony'/><status code='110'/></x></presence>`)
	// The room is temporary: when the owner leaves it is gone.
	h.send(romeo, `<presence type='unavailable' to='room@conference.localhost/Romeo'/>`)
	if len(h.svc.rooms) != 0 {
		t.Fatalf("empty temporary room kept")
	}
}

func TestKickBanVoice(t *testing.T) {
	h := newHarness(t)
	h.createRoom(romeo, "room", "Romeo", map[string]string{"muc#roomconfig_moderatedroom": "1"})
	h.join(juliet, "room", "Juliet")
	// A visitor may not speak.
	h.expect(h.send(juliet, `<message type='groupchat' id='v1' to='room@conference.localhost'><body>hi</body></message>`),
		`<message type='error' id='v1'><error type='auth'><forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>
			<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>You do not currently have permission to speak in this chat</text></error></message>`)
	// Voice.
	h.expect(h.send(romeo, `<iq type='set' id='v2' to='room@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#admin'><item nick='Juliet' role='participant'/></query></iq>`),
		`<presence from='room@conference.localhost/Juliet' to='romeo@localhost/garden'><x xmlns='http://jabber.org/protocol/muc#user'>
			<item affiliation='none' role='participant' jid='juliet@localhost/balcony'><actor nick='Romeo' jid='romeo@localhost/garden'/></item></x></presence>`,
		`<presence from='room@conference.localhost/Juliet' to='juliet@localhost/balcony'><x xmlns='http://jabber.org/protocol/muc#user'>
			<item affiliation='none' role='participant' jid='juliet@localhost/balcony'><actor nick='Romeo'/></item><status code='110'/></x></presence>`,
		`<iq type='result' id='v2'/>`)
	// A participant may not kick.
	h.expect(h.send(juliet, `<iq type='set' id='k0' to='room@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#admin'><item nick='Romeo' role='none'/></query></iq>`),
		`<iq type='error' id='k0'><error type='cancel'><not-allowed xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`)
	// Kick with reason.
	h.expect(h.send(romeo, `<iq type='set' id='k1' to='room@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#admin'><item nick='Juliet' role='none'><reason>Shh</reason></item></query></iq>`),
		`<presence type='unavailable' from='room@conference.localhost/Juliet' to='romeo@localhost/garden'><x xmlns='http://jabber.org/protocol/muc#user'>
			<status code='307'/><item affiliation='none' role='none' jid='juliet@localhost/balcony'><actor nick='Romeo' jid='romeo@localhost/garden'/><reason>Shh</reason></item></x></presence>`,
		`<presence type='unavailable' from='room@conference.localhost/Juliet' to='juliet@localhost/balcony'><x xmlns='http://jabber.org/protocol/muc#user'>
			<status code='307'/><item affiliation='none' role='none' jid='juliet@localhost/balcony'><actor nick='Romeo'/><reason>Shh</reason></item><status code='110'/></x></presence>`,
		`<iq type='result' id='k1'/>`)
	// Ban while in the room.
	h.join(juliet, "room", "Juliet")
	h.expect(h.send(romeo, `<iq type='set' id='b1' to='room@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#admin'><item jid='juliet@localhost' affiliation='outcast'><reason>Out</reason></item></query></iq>`),
		`<presence type='unavailable' from='room@conference.localhost/Juliet' to='romeo@localhost/garden'><x xmlns='http://jabber.org/protocol/muc#user'>
			<status code='301'/><item affiliation='outcast' role='none' jid='juliet@localhost/balcony'><actor nick='Romeo' jid='romeo@localhost/garden'/><reason>Out</reason></item></x></presence>`,
		`<presence type='unavailable' from='room@conference.localhost/Juliet' to='juliet@localhost/balcony'><x xmlns='http://jabber.org/protocol/muc#user'>
			<status code='301'/><item affiliation='outcast' role='none' jid='juliet@localhost/balcony'><actor nick='Romeo'/><reason>Out</reason></item><status code='110'/></x></presence>`,
		`<iq type='result' id='b1'/>`)
	h.expect(h.send(romeo, `<iq type='get' id='l1' to='room@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='outcast'/></query></iq>`),
		`<iq type='result' id='l1'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='outcast' jid='juliet@localhost'><reason>Out</reason></item></query></iq>`)
}

func TestInviteAndDecline(t *testing.T) {
	h := newHarness(t)
	h.createRoom(romeo, "room", "Romeo", map[string]string{"muc#roomconfig_roomsecret": "pw"})
	h.expect(h.send(romeo, `<message id='i1' to='room@conference.localhost'><x xmlns='http://jabber.org/protocol/muc#user'><invite to='juliet@localhost'><reason>Come</reason></invite></x><thread>t1</thread></message>`),
		`<message id='i1' from='room@conference.localhost' to='juliet@localhost'><thread>t1</thread>
			<x xmlns='http://jabber.org/protocol/muc#user'><invite from='room@conference.localhost/Romeo'><reason>Come</reason></invite><password>pw</password></x>
			<x xmlns='jabber:x:conference' jid='room@conference.localhost'>Come</x>
			<body>room@conference.localhost/Romeo invited you to the room room@conference.localhost (Come)</body></message>`)
	h.expect(h.send(juliet, `<message id='d1' to='room@conference.localhost'><x xmlns='http://jabber.org/protocol/muc#user'><decline to='romeo@localhost'/></x></message>`),
		`<message id='d1' from='room@conference.localhost' to='romeo@localhost'>
			<x xmlns='http://jabber.org/protocol/muc#user'><decline from='juliet@localhost/balcony'><reason/></decline></x>
			<body>juliet@localhost/balcony declined your invite to the room room@conference.localhost</body></message>`)
	h.expect(h.send(romeo, `<message id='i2' to='room@conference.localhost'><x xmlns='http://jabber.org/protocol/muc#user'><invite to='not a jid@@'/></x></message>`),
		`<message type='error' id='i2'><error type='cancel'><jid-malformed xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>`)
}

func TestMembersOnlyInviteGrantsMembership(t *testing.T) {
	h := newHarness(t)
	h.createRoom(romeo, "room", "Romeo", map[string]string{"muc#roomconfig_membersonly": "1"})
	got := h.send(romeo, `<message id='i1' to='room@conference.localhost'><x xmlns='http://jabber.org/protocol/muc#user'><invite to='juliet@localhost'/></x></message>`)
	h.expect(got,
		`<message from='room@conference.localhost' to='romeo@localhost/garden'><x xmlns='http://jabber.org/protocol/muc#user'>
			<item affiliation='member' jid='juliet@localhost'><reason>Invited by room@conference.localhost/Romeo</reason></item></x></message>`,
		`<message id='i1' from='room@conference.localhost' to='juliet@localhost'/>`)
	if got := h.join(juliet, "room", "Juliet"); len(got) != 4 {
		t.Fatalf("invited member could not join:\n%s", dump(got))
	}
}

func TestPrivateMessages(t *testing.T) {
	h := newHarness(t)
	h.createRoom(romeo, "room", "Romeo", nil)
	h.join(juliet, "room", "Juliet")
	h.expect(h.send(romeo, `<message type='chat' id='p1' to='room@conference.localhost/Juliet'><body>psst</body><x xmlns='http://jabber.org/protocol/muc#user'><item/></x></message>`),
		`<message type='chat' id='p1' from='room@conference.localhost/Romeo' to='juliet@localhost/balcony'><body>psst</body>
			<x xmlns='http://jabber.org/protocol/muc#user'/><occupant-id xmlns='urn:xmpp:occupant-id:0' id='{scansion:any}'/></message>`)
	h.expect(h.send(romeo, `<message type='chat' id='p2' to='room@conference.localhost/Nobody'><body>psst</body></message>`),
		`<message type='error' id='p2' from='room@conference.localhost/Nobody'><error type='cancel' by='room@conference.localhost'>
			<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>Recipient not in room</text></error></message>`)
	h.expect(h.send(nurse, `<message type='chat' id='p3' to='room@conference.localhost/Juliet'><body>psst</body></message>`),
		`<message type='error' id='p3'><error type='cancel' by='room@conference.localhost'><not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>
			<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>You are not currently connected to this chat</text></error></message>`)
	h.configure(romeo, "room", map[string]string{"muc#roomconfig_allowpm": "moderators"})
	h.expect(h.send(juliet, `<message type='chat' id='p4' to='room@conference.localhost/Romeo'><body>psst</body></message>`),
		`<message type='error' id='p4'><error type='cancel' by='room@conference.localhost'><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>
			<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>Private messages are disabled</text></error></message>`)
}

func TestPrivateIQRoundTrip(t *testing.T) {
	h := newHarness(t)
	h.createRoom(romeo, "room", "Romeo", nil)
	h.join(juliet, "room", "Juliet")
	got := h.send(romeo, `<iq type='get' id='v1' to='room@conference.localhost/Juliet'><query xmlns='jabber:iq:version'/></iq>`)
	if len(got) != 1 || got[0].Attrib("to") != juliet || got[0].Attrib("from") != "room@conference.localhost/Romeo" {
		t.Fatalf("iq not relayed:\n%s", dump(got))
	}
	id := got[0].Attrib("id")
	h.expect(h.send(juliet, `<iq type='result' id='`+id+`' to='room@conference.localhost/Romeo'><query xmlns='jabber:iq:version'/></iq>`),
		`<iq type='result' id='v1' from='room@conference.localhost/Juliet' to='romeo@localhost/garden'/>`)
}

func TestConfigChangeNotifications(t *testing.T) {
	h := newHarness(t)
	h.createRoom(romeo, "room", "Romeo", nil)
	h.join(juliet, "room", "Juliet")
	h.expect(h.configure(romeo, "room", map[string]string{"muc#roomconfig_whois": "anyone"}),
		`<iq type='result' id='cfg'/>`,
		`<message type='groupchat' from='room@conference.localhost' to='romeo@localhost/garden'><x xmlns='http://jabber.org/protocol/muc#user'><status code='172'/></x></message>`,
		`<message type='groupchat' from='room@conference.localhost' to='juliet@localhost/balcony'><x xmlns='http://jabber.org/protocol/muc#user'><status code='172'/></x></message>`)
	// Unchanged values say nothing.
	h.expect(h.configure(romeo, "room", map[string]string{"muc#roomconfig_whois": "anyone"}), `<iq type='result' id='cfg'/>`)
	// Making the room members-only removes non-members with 322.
	got := h.configure(romeo, "room", map[string]string{"muc#roomconfig_membersonly": "1"})
	h.expect(got[:2],
		`<presence type='unavailable' from='room@conference.localhost/Juliet' to='romeo@localhost/garden'><x xmlns='http://jabber.org/protocol/muc#user'>
			<status code='322'/><item affiliation='none' role='none' jid='juliet@localhost/balcony'/></x></presence>`,
		`<presence type='unavailable' from='room@conference.localhost/Juliet' to='juliet@localhost/balcony'><x xmlns='http://jabber.org/protocol/muc#user'>
			<status code='322'/><item affiliation='none' role='none' jid='juliet@localhost/balcony'/><status code='110'/></x></presence>`)
	// Only owners configure.
	h.expect(h.send(juliet, `<iq type='get' id='g1' to='room@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'/></iq>`),
		`<iq type='error' id='g1'><error type='auth'><forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>
			<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>Only owners can configure rooms</text></error></iq>`)
	got = h.send(romeo, `<iq type='get' id='g2' to='room@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'/></iq>`)
	if len(got) != 1 || !strings.Contains(got[0].String(), "muc#roomconfig_membersonly") {
		t.Fatalf("no form:\n%s", dump(got))
	}
}

func TestDestroyAndTombstone(t *testing.T) {
	h := newHarness(t)
	h.createRoom(romeo, "room", "Romeo", map[string]string{"muc#roomconfig_persistentroom": "1"})
	h.join(juliet, "room", "Juliet")
	h.expect(h.send(romeo, `<iq type='set' id='d1' to='room@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'><destroy jid='new@conference.localhost'><reason>Moving</reason></destroy></query></iq>`),
		`<presence type='unavailable' from='room@conference.localhost/Romeo' to='romeo@localhost/garden'><x xmlns='http://jabber.org/protocol/muc#user'>
			<destroy jid='new@conference.localhost'><reason>Moving</reason></destroy><item affiliation='owner' role='none' jid='romeo@localhost/garden'/><status code='110'/></x></presence>`,
		`<presence type='unavailable' from='room@conference.localhost/Juliet' to='juliet@localhost/balcony'><x xmlns='http://jabber.org/protocol/muc#user'>
			<destroy jid='new@conference.localhost'><reason>Moving</reason></destroy><item affiliation='none' role='none' jid='juliet@localhost/balcony'/><status code='110'/></x></presence>`,
		`<iq type='result' id='d1'/>`)
	h.expect(h.join(juliet, "room", "Juliet"),
		`<presence type='error'><error type='cancel' by='conference.localhost'><gone xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>xmpp:new@conference.localhost?join</gone>
			<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>Moving</text></error></presence>`)
	// An admin may recreate it.
	if got := h.join(admin, "room", "Admin"); len(got) != 2 {
		t.Fatalf("admin could not recreate:\n%s", dump(got))
	}
}

func TestAdminDestroyCommand(t *testing.T) {
	h := newHarness(t)
	h.createRoom(romeo, "room", "Romeo", nil)
	h.expect(h.send(juliet, `<iq type='set' id='c0' to='conference.localhost'><command xmlns='http://jabber.org/protocol/commands' node='http://prosody.im/protocol/muc#destroy'/></iq>`),
		`<iq type='error' id='c0'><error type='auth'><forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`)
	got := h.send(admin, `<iq type='set' id='c1' to='conference.localhost'><command xmlns='http://jabber.org/protocol/commands' node='http://prosody.im/protocol/muc#destroy'/></iq>`)
	if len(got) != 1 || !strings.Contains(got[0].String(), "room@conference.localhost") {
		t.Fatalf("no form:\n%s", dump(got))
	}
	h.expect(h.send(admin, `<iq type='set' id='c2' to='conference.localhost'><command xmlns='http://jabber.org/protocol/commands' node='http://prosody.im/protocol/muc#destroy'>
			<x xmlns='jabber:x:data' type='submit'><field var='rooms'><value>room@conference.localhost</value></field></x></command></iq>`),
		`<presence type='unavailable' from='room@conference.localhost/Romeo'><x xmlns='http://jabber.org/protocol/muc#user'><destroy/>
			<item affiliation='owner' role='none' jid='romeo@localhost/garden'/><status code='110'/></x></presence>`,
		`<iq type='result' id='c2' from='conference.localhost'><command xmlns='http://jabber.org/protocol/commands' node='http://prosody.im/protocol/muc#destroy' status='completed' sessionid='{scansion:any}'>
			<note type='info'>The following rooms were destroyed:
room@conference.localhost</note></command></iq>`)
}

func TestRegistration(t *testing.T) {
	h := newHarness(t)
	h.createRoom(romeo, "room", "Romeo", nil)
	h.expect(h.send(juliet, `<iq type='get' id='r0' to='room@conference.localhost'><query xmlns='jabber:iq:register'/></iq>`),
		`<iq type='error' id='r0'><error type='auth'><registration-required xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`)
	h.send(romeo, `<iq type='set' id='m' to='room@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member' jid='juliet@localhost'/></query></iq>`)
	h.expect(h.send(juliet, `<iq type='set' id='r1' to='room@conference.localhost'><query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'>
			<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field><field var='muc#register_roomnick'><value>Jules</value></field></x></query></iq>`),
		`<message from='room@conference.localhost' to='romeo@localhost/garden'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' jid='juliet@localhost'/></x></message>`,
		`<iq type='result' id='r1'/>`)
	h.expect(h.send(juliet, `<iq type='get' id='r2' to='room@conference.localhost'><query xmlns='jabber:iq:register'/></iq>`),
		`<iq type='result' id='r2'><query xmlns='jabber:iq:register'><registered/><username>Jules</username></query></iq>`)
	h.expect(h.send(juliet, `<iq type='get' id='r3' to='room@conference.localhost'><query xmlns='http://jabber.org/protocol/disco#info' node='x-roomuser-item'/></iq>`),
		`<iq type='result' id='r3'><query xmlns='http://jabber.org/protocol/disco#info' node='x-roomuser-item'><identity category='conference' type='text' name='Jules'/></query></iq>`)
	h.expect(h.join(nurse, "room", "Jules"),
		`<presence type='error'><error type='cancel' by='room@conference.localhost'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>`)
}

func TestDisco(t *testing.T) {
	h := newHarness(t)
	h.createRoom(romeo, "room", "Romeo", map[string]string{"muc#roomconfig_publicroom": "1", "muc#roomconfig_roomname": "The Room"})
	h.createRoom(juliet, "hidden", "Juliet", nil)
	h.expect(h.send(nurse, `<iq type='get' id='i1' to='conference.localhost'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>`),
		`<iq type='result' id='i1'><query xmlns='http://jabber.org/protocol/disco#items'><item jid='room@conference.localhost' name='The Room'/></query></iq>`)
	got := h.send(nurse, `<iq type='get' id='i2' to='room@conference.localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	s := dump(got)
	for _, want := range []string{"muc_public", "muc_temporary", "muc_open", "muc_unmoderated", "muc_semianonymous", "muc_unsecured",
		"urn:xmpp:occupant-id:0", `name="The Room"`, "muc#roominfo_occupants"} {
		if !strings.Contains(s, want) {
			t.Errorf("disco#info lacks %s:\n%s", want, s)
		}
	}
	h.expect(h.send(nurse, `<iq type='get' id='i3' to='nowhere@conference.localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`),
		`<iq type='error' id='i3'><error type='cancel' by='conference.localhost'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`)
}

func TestKickedByErrorBounce(t *testing.T) {
	h := newHarness(t)
	h.createRoom(romeo, "room", "Romeo", map[string]string{"muc#roomconfig_whois": "anyone"})
	h.join(juliet, "room", "Juliet")
	h.expect(h.send(juliet, `<presence type='error' to='room@conference.localhost'><error type='cancel'><gone xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>`),
		`<presence type='unavailable' from='room@conference.localhost/Juliet' to='romeo@localhost/garden'><status>Kicked: gone</status>
			<x xmlns='http://jabber.org/protocol/muc#user'><status code='333'/><item affiliation='none' role='none' jid='juliet@localhost/balcony'/></x></presence>`,
		`<presence type='unavailable' from='room@conference.localhost/Juliet' to='juliet@localhost/balcony'><status>Kicked: gone</status>
			<x xmlns='http://jabber.org/protocol/muc#user'><status code='333'/><item affiliation='none' role='none' jid='juliet@localhost/balcony'/><status code='110'/></x></presence>`)
}

func TestMultiSessionOccupant(t *testing.T) {
	h := newHarness(t)
	h.createRoom(romeo, "room", "Romeo", nil)
	h.join(juliet, "room", "Juliet")
	phone := "juliet@localhost/phone"
	got := h.join(phone, "room", "Juliet")
	// The second session sees the room, and both sessions see themselves.
	if len(got) == 0 || got[0].Attrib("to") != phone {
		t.Fatalf("second session:\n%s", dump(got))
	}
	// One session leaving keeps the occupant.
	h.send(phone, `<presence type='unavailable' to='room@conference.localhost/Juliet'/>`)
	if h.svc.rooms["room@conference.localhost"].occupantByNick("room@conference.localhost/Juliet") == nil {
		t.Fatalf("occupant gone with one session left")
	}
}

func TestMalformedAndUnknown(t *testing.T) {
	h := newHarness(t)
	h.expect(h.send(romeo, `<message type='groupchat' id='x1' to='nowhere@conference.localhost'><body>hi</body></message>`),
		`<message type='error' id='x1'><error type='cancel' by='conference.localhost'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>`)
	h.expect(h.send(romeo, `<presence to='bad@@conference.localhost/x'><x xmlns='http://jabber.org/protocol/muc'/></presence>`),
		`<presence type='error'><error type='modify' by='conference.localhost'><jid-malformed xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>`)
	h.expect(h.send(romeo, `<presence type='error' to='nowhere@conference.localhost/x'/>`))
}

// TestConcurrentUse exercises the locking under the race detector.
func TestConcurrentUse(t *testing.T) {
	var mu sync.Mutex
	n := 0
	svc := New(Config{Domain: service, Router: component.RouterFunc(func(st *xmlnode.Element) { mu.Lock(); n++; mu.Unlock() })})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			from := "user" + string(rune('a'+i)) + "@localhost/r"
			for range 50 {
				for _, s := range []string{
					`<presence to='r@conference.localhost/N` + string(rune('a'+i)) + `'><x xmlns='http://jabber.org/protocol/muc'/></presence>`,
					`<message type='groupchat' to='r@conference.localhost'><body>x</body></message>`,
					`<presence type='unavailable' to='r@conference.localhost/N` + string(rune('a'+i)) + `'/>`,
				} {
					st := parse(t, s)
					st.SetAttr("from", from)
					svc.HandleStanza(st)
				}
			}
		}()
	}
	wg.Wait()
	if n == 0 {
		t.Fatal("nothing routed")
	}
}

func TestEnforcedReservedNick(t *testing.T) {
	h := newHarness(t)
	h.svc.cfg.EnforceReservedNicks = true
	h.createRoom(romeo, "room", "Romeo", nil)
	h.send(romeo, `<iq type='set' id='m' to='room@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member' jid='juliet@localhost' nick='Capulet'/></query></iq>`)
	got := h.join(juliet, "room", "Juliet")
	h.expect(got[2:3], `<presence from='room@conference.localhost/Capulet' to='juliet@localhost/balcony'><x xmlns='http://jabber.org/protocol/muc#user'>
		<status code='210'/><item affiliation='member' role='participant' jid='juliet@localhost/balcony'/><status code='110'/></x></presence>`)
	h.expect(h.send(juliet, `<presence to='room@conference.localhost/Jules'/>`),
		`<presence type='error' from='room@conference.localhost/Jules'><error type='cancel' by='room@conference.localhost'><not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>`)
}

func TestShutdown(t *testing.T) {
	h := newHarness(t)
	h.createRoom(romeo, "room", "Romeo", nil)
	h.join(juliet, "room", "Juliet")
	h.out = nil
	h.svc.Shutdown()
	h.expect(h.out,
		`<presence type='unavailable' from='room@conference.localhost/Romeo' to='juliet@localhost/balcony'><x xmlns='http://jabber.org/protocol/muc#user'>
			<status code='332'/><item affiliation='owner' role='none'/></x></presence>`,
		`<presence type='unavailable' from='room@conference.localhost/Romeo' to='romeo@localhost/garden'><x xmlns='http://jabber.org/protocol/muc#user'>
			<status code='332'/><item affiliation='owner' role='none' jid='romeo@localhost/garden'/><status code='110'/></x></presence>`,
		`<presence type='unavailable' from='room@conference.localhost/Juliet' to='juliet@localhost/balcony'><x xmlns='http://jabber.org/protocol/muc#user'>
			<status code='332'/><item affiliation='none' role='none' jid='juliet@localhost/balcony'/><status code='110'/></x></presence>`)
}

func TestProbeAndSelfPing(t *testing.T) {
	h := newHarness(t)
	h.createRoom(romeo, "room", "Romeo", nil)
	h.join(juliet, "room", "Juliet")
	h.expect(h.send(juliet, `<presence type='probe' to='room@conference.localhost/Romeo'/>`),
		`<presence from='room@conference.localhost/Romeo' to='juliet@localhost/balcony'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='owner' role='moderator'/></x></presence>`)
	h.expect(h.send(nurse, `<presence type='probe' to='room@conference.localhost/Romeo'/>`),
		`<presence type='error'><error type='cancel' by='room@conference.localhost'><not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>
			<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>You are not currently connected to this chat</text></error></presence>`)
	h.expect(h.send(juliet, `<iq type='get' id='sp' to='room@conference.localhost/Juliet'><ping xmlns='urn:xmpp:ping'/></iq>`),
		`<iq type='result' id='sp' from='room@conference.localhost/Juliet' to='juliet@localhost/balcony'/>`)
}

func TestVoiceRequest(t *testing.T) {
	h := newHarness(t)
	h.createRoom(romeo, "room", "Romeo", map[string]string{"muc#roomconfig_moderatedroom": "1"})
	h.join(juliet, "room", "Juliet")
	got := h.send(juliet, `<message to='room@conference.localhost'><x xmlns='jabber:x:data' type='submit'>
		<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#request</value></field><field var='muc#role'><value>participant</value></field></x></message>`)
	if len(got) != 1 || got[0].Attrib("to") != romeo || !strings.Contains(got[0].String(), "juliet@localhost/balcony") {
		t.Fatalf("voice request not relayed to the moderator:\n%s", dump(got))
	}
	got = h.send(romeo, `<message to='room@conference.localhost'><x xmlns='jabber:x:data' type='submit'>
		<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#request</value></field>
		<field var='muc#jid'><value>juliet@localhost/balcony</value></field><field var='muc#request_allow'><value>true</value></field></x></message>`)
	h.expect(got[:1], `<presence from='room@conference.localhost/Juliet' to='romeo@localhost/garden'><x xmlns='http://jabber.org/protocol/muc#user'>
		<item affiliation='none' role='participant' jid='juliet@localhost/balcony'><actor nick='Romeo' jid='romeo@localhost/garden'/><reason>Voice granted</reason></item></x></presence>`)
}

func TestPresenceBroadcastConfig(t *testing.T) {
	h := newHarness(t)
	h.createRoom(romeo, "room", "Romeo", nil)
	h.join(juliet, "room", "Juliet")
	// Only moderators' presence is broadcast: Juliet looks gone to Romeo.
	got := h.send(romeo, `<iq type='set' id='pb' to='room@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>
		<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>
		<field var='muc#roomconfig_presencebroadcast'><value>moderator</value></field></x></query></iq>`)
	h.expect(got[:1], `<presence type='unavailable' from='room@conference.localhost/Juliet' to='romeo@localhost/garden'/>`)
	got = h.join(nurse, "room", "Nurse")
	for _, st := range got {
		if st.Attrib("from") == "room@conference.localhost/Juliet" {
			t.Fatalf("participant presence sent despite the broadcast setting:\n%s", dump(got))
		}
	}
}

// TestSoleOccupantRenames: renaming must not empty (and so destroy) a
// temporary room, which Prosody 0.12 does.
func TestSoleOccupantRenames(t *testing.T) {
	h := newHarness(t)
	h.createRoom(romeo, "room", "Romeo", nil)
	h.send(romeo, `<presence to='room@conference.localhost/Montague'/>`)
	h.expect(h.send(romeo, `<message type='groupchat' id='g' to='room@conference.localhost'><body>still here</body></message>`),
		`<message type='groupchat' id='g' from='room@conference.localhost/Montague' to='romeo@localhost/garden'><body>still here</body></message>`)
}

func TestMAMQueries(t *testing.T) {
	h := newHarness(t)
	h.createRoom(romeo, "room", "Romeo", nil)
	for _, b := range []string{"one", "two", "three"} {
		h.send(romeo, `<message type='groupchat' to='room@conference.localhost'><body>`+b+`</body></message>`)
	}
	// Stanza ids are id2.. (id1 went to the first message's missing id).
	q := func(set string) []*xmlnode.Element {
		return h.send(juliet, `<iq type='set' id='q' to='room@conference.localhost'><query xmlns='urn:xmpp:mam:2' queryid='Q'>`+set+`</query></iq>`)
	}
	got := q(`<set xmlns='http://jabber.org/protocol/rsm'><max>2</max><before/></set>`)
	if len(got) != 3 {
		t.Fatalf("want 2 results and fin:\n%s", dump(got))
	}
	for i, want := range []string{"two", "three"} {
		if !strings.Contains(got[i].String(), "<body>"+want+"</body>") {
			t.Fatalf("result %d is not %q:\n%s", i, want, dump(got))
		}
	}
	last := got[1].Child(nsMAM, "result").Attrib("id")
	first := got[0].Child(nsMAM, "result").Attrib("id")
	h.expect(got[2:], `<iq type='result' id='q'><fin xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'>
		<first>`+first+`</first><last>`+last+`</last><count>3</count></set></fin></iq>`)
	// The page before: the first message, and the query is complete.
	got = q(`<set xmlns='http://jabber.org/protocol/rsm'><max>2</max><before>` + first + `</before></set>`)
	if len(got) != 2 || !strings.Contains(got[0].String(), "<body>one</body>") || got[1].Child(nsMAM, "fin").Attrib("complete") != "true" {
		t.Fatalf("previous page:\n%s", dump(got))
	}
	// Unknown ids are item-not-found; outcasts may not read.
	h.expect(q(`<set xmlns='http://jabber.org/protocol/rsm'><after>nope</after></set>`),
		`<iq type='error' id='q'><error type='modify'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`)
	h.send(romeo, `<iq type='set' id='b' to='room@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='outcast' jid='juliet@localhost'/></query></iq>`)
	h.expect(q(``), `<iq type='error' id='q'><error type='auth'><forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`)
}

// TestFormRoundTrip: submitting the form back unchanged, as clients do,
// changes nothing; like Prosody it still reports 104 (history length is
// always "changed") and 170 (archiving is on).
func TestFormRoundTrip(t *testing.T) {
	h := newHarness(t)
	h.createRoom(romeo, "room", "Romeo", map[string]string{"muc#roomconfig_roomsecret": "pw", "muc#roomconfig_roomname": "R"})
	before := h.svc.rooms["room@conference.localhost"].conf
	got := h.send(romeo, `<iq type='get' id='g' to='room@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'/></iq>`)
	form := got[0].Child(nsMUCOwner, "query").Child(nsData, "x")
	form.SetAttr("type", "submit")
	form.RemoveChildren(nsData, "title")
	form.RemoveChildren(nsData, "instructions")
	q := xmlnode.New(nsMUCOwner, "query").Append(form)
	iq := newStanza("iq", "type", "set", "id", "s", "to", "room@conference.localhost", "from", romeo).Append(q)
	h.out = nil
	h.svc.HandleStanza(iq)
	h.expect(h.out, `<iq type='result' id='s'/>`,
		`<message type='groupchat' from='room@conference.localhost'><x xmlns='http://jabber.org/protocol/muc#user'><status code='104'/><status code='170'/></x></message>`)
	if after := h.svc.rooms["room@conference.localhost"].conf; after != before {
		t.Fatalf("configuration changed:\n%+v\n%+v", before, after)
	}
}

// TestHistoryCap checks that an owner cannot make a room keep more history
// than the service's MaxHistory (Prosody's max_history_messages), and that a
// joining user gets exactly the capped number of delayed messages.
func TestHistoryCap(t *testing.T) {
	tests := []struct {
		name  string
		limit int // Limits.MaxHistory
		asked string
		want  int
	}{
		{"default cap", 0, "1000000", DefaultMaxHistory},
		{"own cap", 5, "1000000", 5},
		{"below cap", 0, "3", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.svc.cfg.Limits.MaxHistory = tt.limit
			h.createRoom(romeo, "room", "Romeo", map[string]string{"muc#roomconfig_historylength": tt.asked})
			for i := 0; i < 50; i++ {
				h.send(romeo, fmt.Sprintf(`<message type='groupchat' to='room@conference.localhost'><body>%d</body></message>`, i))
			}
			delayed := 0
			for _, st := range h.join(juliet, "room", "Juliet") {
				if st.Child("urn:xmpp:delay", "delay") != nil {
					delayed++
				}
			}
			if delayed != tt.want {
				t.Errorf("historylength %s with MaxHistory %d: joining user got %d delayed messages, want %d", tt.asked, tt.limit, delayed, tt.want)
			}
		})
	}
}
