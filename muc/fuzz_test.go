package muc

import (
	"testing"

	"github.com/muctest/muctest/component"
	"github.com/muctest/muctest/xmlnode"
)

// FuzzHandleStanza feeds arbitrary stanzas, after a fixed scene (an
// unlocked room with two occupants), to the service: whatever clients send,
// it must not panic, and everything it routes must be addressed.
func FuzzHandleStanza(f *testing.F) {
	seeds := []string{
		`<presence to='room@conference.localhost/X'><x xmlns='http://jabber.org/protocol/muc'><history maxchars='10' since='2000-01-01T00:00:00Z'/></x></presence>`,
		`<presence type='unavailable' to='room@conference.localhost'/>`,
		`<presence type='probe' to='room@conference.localhost/Romeo'/>`,
		`<presence type='error' to='room@conference.localhost/Romeo'><error type='cancel'><gone xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>`,
		`<message type='groupchat' to='room@conference.localhost'><subject>x</subject></message>`,
		`<message to='room@conference.localhost'><x xmlns='http://jabber.org/protocol/muc#user'><invite to='a@b'/></x></message>`,
		`<message to='room@conference.localhost'><x xmlns='http://jabber.org/protocol/muc#user'><decline to='room@conference.localhost/Romeo'/></x></message>`,
		`<message to='room@conference.localhost'><x xmlns='jabber:x:data'><field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#request</value></field><field var='muc#request_allow'><value>1</value></field></x></message>`,
		`<iq type='set' id='1' to='room@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#admin'><item nick='Juliet' role='moderator'/></query></iq>`,
		`<iq type='set' id='1' to='room@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#admin'><item jid='localhost' affiliation='outcast'/></query></iq>`,
		`<iq type='set' id='1' to='room@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field><field var='muc#roomconfig_presencebroadcast'><value>moderator</value></field><field var='muc#roomconfig_historylength'><value>-3</value></field></x></query></iq>`,
		`<iq type='set' id='1' to='room@conference.localhost'><query xmlns='jabber:iq:register'><remove/></query></iq>`,
		`<iq type='get' id='1' to='room@conference.localhost/Juliet'><vCard xmlns='vcard-temp'/></iq>`,
		`<iq type='result' id='AAAA' to='room@conference.localhost/Juliet'/>`,
		`<iq type='set' id='1' to='room@conference.localhost'><query xmlns='urn:xmpp:mam:2'><x xmlns='jabber:x:data'><field var='FORM_TYPE'><value>urn:xmpp:mam:2</value></field><field var='start'><value>x</value></field></x><set xmlns='http://jabber.org/protocol/rsm'><max>-1</max><before>a</before><after>b</after></set><flip-page/></query></iq>`,
		`<iq type='set' id='1' to='room@conference.localhost'><moderate xmlns='urn:xmpp:message-moderate:1' id='m1'><retract xmlns='urn:xmpp:message-retract:1'/><reason>x</reason></moderate></iq>`,
		`<iq type='set' id='1' to='room@conference.localhost'><apply-to xmlns='urn:xmpp:fasten:0' id='id1'><moderate xmlns='urn:xmpp:message-moderate:0'><retract xmlns='urn:xmpp:message-retract:0'/></moderate></apply-to></iq>`,
		`<message type='groupchat' id='m1' to='room@conference.localhost'><body>x</body></message><iq type='set' id='1' to='room@conference.localhost'><moderate xmlns='urn:xmpp:message-moderate:1' id='m1'><retract xmlns='urn:xmpp:message-retract:1'/></moderate></iq><iq type='set' id='2' to='room@conference.localhost'><apply-to xmlns='urn:xmpp:fasten:0' id='m1'><moderate xmlns='urn:xmpp:message-moderate:0'><retract xmlns='urn:xmpp:message-retract:0'/></moderate></apply-to></iq>`,
		`<iq type='set' id='1' to='room@conference.localhost'><apply-to xmlns='urn:xmpp:fasten:0'><moderate xmlns='urn:xmpp:message-moderate:0'/></apply-to></iq>`,
		`<iq type='set' id='1' to='conference.localhost'><command xmlns='http://jabber.org/protocol/commands' node='http://prosody.im/protocol/muc#destroy'><x xmlns='jabber:x:data'/></command></iq>`,
	}
	for _, s := range seeds {
		f.Add(s, uint8(0))
	}
	f.Fuzz(func(t *testing.T, s string, who uint8) {
		w, err := xmlnode.Parse("<w xmlns='jabber:client'>" + s + "</w>")
		if err != nil {
			return
		}
		var routed []*xmlnode.Element
		svc := New(Config{Domain: service, Admins: []string{"admin@localhost"},
			Router: component.RouterFunc(func(st *xmlnode.Element) { routed = append(routed, st) })})
		scene := []string{
			`<presence from='` + romeo + `' to='room@conference.localhost/Romeo'><x xmlns='http://jabber.org/protocol/muc'/></presence>`,
			`<iq from='` + romeo + `' type='set' id='c' to='room@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>`,
			`<presence from='` + juliet + `' to='room@conference.localhost/Juliet'><x xmlns='http://jabber.org/protocol/muc'/></presence>`,
		}
		for _, sc := range scene {
			svc.HandleStanza(parse(t, sc))
		}
		senders := []string{romeo, juliet, nurse, admin}
		for _, st := range w.Elements() {
			if st.Attrib("from") == "" {
				st.SetAttr("from", senders[int(who)%len(senders)])
			}
			svc.HandleStanza(st)
		}
		for _, r := range routed {
			if r.Attrib("to") == "" {
				t.Fatalf("routed a stanza without to: %s", r)
			}
		}
	})
}
