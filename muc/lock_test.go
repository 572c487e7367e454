package muc

import (
	"testing"
	"time"
)

// TestRoomLockExpires checks Config.LockTimeout: a room its owner never
// configures refuses other joiners until its lock expires, then lets them in, as Prosody's does; a negative
// timeout keeps today's lock-until-configured; a configured room is never
// locked. The service's clock is moved by hand: nothing sleeps.
func TestRoomLockExpires(t *testing.T) {
	const (
		roomJID = "room@" + service
		refused = `<presence type='error' from='room@conference.localhost/Juliet' to='juliet@localhost/balcony'>
			<error type='cancel' by='conference.localhost'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>`
	)
	tests := []struct {
		name      string
		timeout   time.Duration // Config.LockTimeout
		configure bool          // the owner submits the form
		after     time.Duration // time between the creation and Juliet's join
		enters    bool
	}{
		{name: "default, just created", after: 0, enters: false},
		{name: "default, a moment before 300 s", after: DefaultLockTimeout - time.Nanosecond, enters: false},
		{name: "default, at 300 s", after: DefaultLockTimeout, enters: true},
		{name: "default, long after", after: 24 * time.Hour, enters: true},
		{name: "10 s, before", timeout: 10 * time.Second, after: 9 * time.Second, enters: false},
		{name: "10 s, after", timeout: 10 * time.Second, after: 11 * time.Second, enters: true},
		{name: "never expires", timeout: -1, after: 24 * 365 * time.Hour, enters: false},
		{name: "configured, never expires", timeout: -1, configure: true, enters: true},
		{name: "configured", configure: true, enters: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			now := time.Date(2008, 8, 22, 21, 9, 4, 0, time.UTC)
			h.svc.cfg.Now = func() time.Time { return now }
			h.svc.cfg.LockTimeout = tt.timeout
			h.expect(h.join(romeo, "room", "Romeo"),
				`<presence from='room@conference.localhost/Romeo' to='romeo@localhost/garden'>
					<x xmlns='http://jabber.org/protocol/muc#user'><status code='201'/><item affiliation='owner' role='moderator' jid='romeo@localhost/garden'/><status code='110'/></x></presence>`,
				`<message type='groupchat' from='room@conference.localhost' to='romeo@localhost/garden'><subject/></message>`)
			if tt.configure {
				h.expect(h.configure(romeo, "room", nil), `<iq type='result' id='cfg' from='room@conference.localhost' to='romeo@localhost/garden'/>`)
			}
			now = now.Add(tt.after)
			out := h.join(juliet, "room", "Juliet")
			if !tt.enters {
				h.expect(out, refused)
				return
			}
			h.expect(out,
				`<presence from='room@conference.localhost/Romeo' to='juliet@localhost/balcony'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='owner' role='moderator'/></x></presence>`,
				`<presence from='room@conference.localhost/Juliet' to='romeo@localhost/garden'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='participant' jid='juliet@localhost/balcony'/></x></presence>`,
				`<presence from='room@conference.localhost/Juliet' to='juliet@localhost/balcony'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='participant' jid='juliet@localhost/balcony'/><status code='110'/></x></presence>`,
				`<message type='groupchat' from='room@conference.localhost' to='juliet@localhost/balcony'><subject/></message>`)
			if r := h.svc.rooms[roomJID]; r.locked {
				t.Error("the room still says it is locked after letting Juliet in")
			}
		})
	}
}
