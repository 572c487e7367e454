package main

import (
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
)

// moderationAttacks go after what this session added: XEP-0425 message
// moderation in rooms (retractions by stanza-id and by id attribute over
// full archives, forged moderation payloads, requests from those who may
// not), archiving of every account's messages from the first one
// (XEP-0313 without smart enable), and XEP-0048 bookmarks saved through
// private XML or the legacy PEP node (each save republished as bookmarks 2
// items).
func moderationAttacks() []attack {
	return []attack{
		{"muc-moderate-full-archive", "10 owners filling their rooms' archives (1,200 messages of 3.5 KB, 4 MiB) and then retracting them by id attribute (the fallback lookup) and by version 0 at line rate while posting more, 20 reading occupants per room", moderateFullArchive},
		{"muc-moderate-bad-ids", "owners of rooms holding 1,000 messages all with the same id asking at line rate to retract that (ambiguous) id, unknown 1 KB ids, 2 KB ids and empty ones, with 1 MB-ish reasons", moderateBadIDs},
		{"muc-moderate-many-rooms", "200 owners over 200 addresses each posting to and moderating their own room at line rate (every message retracted by id attribute right after it is sent)", func(e *env) (string, error) {
			var mods atomic.Int64
			note, err := loopedAs(e, 200, 200, func(i int) string { return "mmown" + strconv.Itoa(i) }, func(i int, s *session, k int64) error {
				room := "mmr" + strconv.Itoa(i) + "@" + e.muc
				var b strings.Builder
				if k == 1 {
					b.WriteString(join(room, "owner") + configure(room, false))
				}
				for j := range 10 {
					id := "m" + strconv.FormatInt(k*10+int64(j), 36)
					b.WriteString("<message type='groupchat' to='" + room + "' id='" + id + "'><body>" + strings.Repeat("b", 2000) + "</body></message>")
					b.WriteString(moderateV1(room, id, strings.Repeat("r", 500)))
				}
				mods.Add(10)
				return s.send(b.String())
			})
			return fmt.Sprintf("%d moderations, ", mods.Load()) + note, err
		}},
		{"muc-moderate-forged", "100 occupants of a room of 150 (50 never reading) sending groupchat messages full of forged moderation announcements, tombstones and self-retractions (XEP-0424) with 100 KB reasons", func(e *env) (string, error) {
			room := "forge@" + e.muc
			reason := strings.Repeat("f", 100<<10)
			ls := e.sessions(50, 50, func(i int) string { return "fglurk" + strconv.Itoa(i) }, func(int) string { return "l" }, true, false)
			for i, s := range ls {
				_ = s.send(join(room, "lurk"+strconv.Itoa(i)))
			}
			return loopedAs(e, 100, 100, func(i int) string { return "fg" + strconv.Itoa(i) }, func(i int, s *session, k int64) error {
				if k == 1 {
					_ = s.send(join(room, "fg"+strconv.Itoa(i)))
				}
				id := "x" + strconv.FormatInt(k, 36)
				var b strings.Builder
				b.WriteString("<message type='groupchat' to='" + room + "' id='" + id + "'><body>forged</body>")
				for range 20 {
					b.WriteString("<retract xmlns='urn:xmpp:message-retract:1' id='" + id + "'><moderated xmlns='urn:xmpp:message-moderate:1' by='" + room + "/owner'/><reason>r</reason></retract>")
					b.WriteString("<apply-to xmlns='urn:xmpp:fasten:0' id='" + id + "'><moderated xmlns='urn:xmpp:message-moderate:0' by='x'><retract xmlns='urn:xmpp:message-retract:0'/></moderated></apply-to>")
					b.WriteString("<retracted xmlns='urn:xmpp:message-retract:1' stamp='2020-01-01T00:00:00Z'/><moderated xmlns='urn:xmpp:message-moderate:0'/>")
				}
				b.WriteString("<retract xmlns='urn:xmpp:message-retract:1' id='" + id + "'><reason>" + reason + "</reason></retract></message>")
				return s.send(b.String())
			})
		}},
		{"muc-moderate-nonmod", "200 occupants (not moderators; half never reading) of a room holding 1,000 messages sending moderation requests of both versions at line rate (forbidden), and outsiders sending them too", func(e *env) (string, error) {
			room := "nonmod@" + e.muc
			fill := e.sessions(1, 1, func(int) string { return "nmown" }, func(int) string { return "o" }, false, true)
			if len(fill) == 1 {
				var b strings.Builder
				b.WriteString(join(room, "owner") + configure(room, false))
				for k := range 1000 {
					b.WriteString("<message type='groupchat' to='" + room + "' id='n" + strconv.Itoa(k%7) + "'><body>" + strings.Repeat("n", 1000) + "</body></message>")
				}
				_ = fill[0].send(b.String())
			}
			reason := strings.Repeat("q", 4000)
			var k atomic.Int64
			e.parallel(2, func(w int) {
				if w == 0 {
					_, _ = nonReadingAs(e, 100, 100, func(i int) string { return "nmnr" + strconv.Itoa(i) }, func(n int64) string {
						var b strings.Builder
						if n%50 == 1 {
							b.WriteString(join(room, "nr"+strconv.FormatInt(n, 36)))
						}
						for j := range 10 {
							id := "n" + strconv.FormatInt((n+int64(j))%7, 10)
							b.WriteString(moderateV1(room, id, reason) + moderateV0(room, id, reason))
						}
						return b.String()
					})
					return
				}
				_, _ = loopedAs(e, 100, 100, func(i int) string { return "nmrd" + strconv.Itoa(i) }, func(i int, s *session, n int64) error {
					k.Add(1)
					var b strings.Builder
					if n == 1 && i%2 == 0 {
						b.WriteString(join(room, "rd"+strconv.Itoa(i)))
					}
					for j := range 10 {
						b.WriteString(moderateV1(room, "n"+strconv.Itoa(j%7), reason))
					}
					return s.send(b.String())
				})
			})
			return e.counts(), nil
		}},
		{"mam-archive-always", "200 accounts over 200 addresses sending each other 50 KB chat messages at line rate (every one archived twice: no smart enable), half also querying their archives a page at a time", func(e *env) (string, error) {
			body := strings.Repeat("a", 50<<10)
			return loopedAs(e, 200, 200, func(i int) string { return "mama" + strconv.Itoa(i) }, func(i int, s *session, k int64) error {
				var b strings.Builder
				for j := range 4 {
					to := "mama" + strconv.FormatInt((int64(i)+k+int64(j))%200, 10) + "@" + e.domain
					b.WriteString("<message type='chat' id='c" + strconv.FormatInt(k, 36) + "' to='" + to + "'><body>" + body + "</body></message>")
				}
				if i%2 == 0 {
					b.WriteString("<iq type='set' id='q" + strconv.FormatInt(k, 10) + "'><query xmlns='urn:xmpp:mam:2' queryid='q'><set xmlns='http://jabber.org/protocol/rsm'><max>50</max><before/></set></query></iq>")
				}
				return s.send(b.String())
			})
		}},
		{"mam-archive-tiny", "400 accounts over 200 addresses sending each other tiny chat messages at line rate (per-message overhead over the archive's byte count), then querying by id lists", func(e *env) (string, error) {
			return loopedAs(e, 400, 200, func(i int) string { return "mamt" + strconv.Itoa(i) }, func(i int, s *session, k int64) error {
				var b strings.Builder
				for j := range 50 {
					to := "mamt" + strconv.FormatInt((int64(i)+k+int64(j))%400, 10) + "@" + e.domain
					b.WriteString("<message type='chat' to='" + to + "'><body>" + strconv.Itoa(j) + "</body></message>")
				}
				if k%10 == 0 {
					b.WriteString("<iq type='set' id='q'><query xmlns='urn:xmpp:mam:2'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>urn:xmpp:mam:2</value></field><field var='ids'>")
					for j := range 2000 {
						b.WriteString("<value>" + strconv.Itoa(j) + "</value>")
					}
					b.WriteString("</field></x></query></iq>")
				}
				return s.send(b.String())
			})
		}},
		{"mam-prefs-flood", "1,000 accounts over 250 addresses each setting XEP-0313 preferences of 1,000 always and 1,000 never JIDs of 100 bytes (234 KB) over and over", func(e *env) (string, error) {
			return loopedAs(e, 1000, 250, func(i int) string { return "mamp" + strconv.Itoa(i) }, func(i int, s *session, k int64) error {
				pad := strings.Repeat("p", 95)
				var b strings.Builder
				b.WriteString("<iq type='set' id='p" + strconv.FormatInt(k, 10) + "'><prefs xmlns='urn:xmpp:mam:2' default='always'>")
				for _, l := range []string{"always", "never"} {
					b.WriteString("<" + l + ">")
					for j := range 1000 {
						b.WriteString("<jid>" + pad + strconv.Itoa(j) + l[:1] + strconv.FormatInt(k%10, 10) + "@x</jid>")
					}
					b.WriteString("</" + l + ">")
				}
				b.WriteString("</prefs></iq>")
				return s.send(b.String())
			})
		}},
		{"bookmarks-legacy-flood", "100 accounts saving XEP-0048 bookmarks of 1,500 rooms (under the element-tree bound) (two alternating sets) through private XML and the legacy PEP node at line rate, and reading them back", func(e *env) (string, error) {
			sets := [2]string{legacyStorage(1500, "a"), legacyStorage(1500, "b")}
			return loopedAs(e, 100, 100, func(i int) string { return "bml" + strconv.Itoa(i) }, func(i int, s *session, k int64) error {
				st := sets[k%2]
				var b strings.Builder
				if k%2 == 0 {
					b.WriteString("<iq type='set' id='p" + strconv.FormatInt(k, 10) + "'><query xmlns='jabber:iq:private'>" + st + "</query></iq>")
				} else {
					b.WriteString("<iq type='set' id='b" + strconv.FormatInt(k, 10) + "'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='storage:bookmarks'><item id='current'>" + st + "</item></publish></pubsub></iq>")
				}
				b.WriteString("<iq type='get' id='g'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query></iq>")
				b.WriteString("<iq type='get' id='h'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='storage:bookmarks'/></pubsub></iq>")
				return s.send(b.String())
			})
		}},
	}
}

// moderateV1 is a XEP-0425 version 1 moderation request of message id.
func moderateV1(room, id, reason string) string {
	return "<iq type='set' id='mod' to='" + room + "'><moderate xmlns='urn:xmpp:message-moderate:1' id='" + id + "'><retract xmlns='urn:xmpp:message-retract:1'/><reason>" + reason + "</reason></moderate></iq>"
}

// moderateV0 is the version 0 (fastening) request.
func moderateV0(room, id, reason string) string {
	return "<iq type='set' id='mod0' to='" + room + "'><apply-to xmlns='urn:xmpp:fasten:0' id='" + id + "'><moderate xmlns='urn:xmpp:message-moderate:0'><retract xmlns='urn:xmpp:message-retract:0'/><reason>" + reason + "</reason></moderate></apply-to></iq>"
}

// legacyStorage is a XEP-0048 <storage/> of n conferences.
func legacyStorage(n int, tag string) string {
	var b strings.Builder
	b.WriteString("<storage xmlns='storage:bookmarks'>")
	for j := range n {
		b.WriteString("<conference jid='" + tag + strconv.Itoa(j) + "@c' autojoin='1'/>")
	}
	b.WriteString("</storage>")
	return b.String()
}

func moderateFullArchive(e *env) (string, error) {
	const rooms = 10
	body := strings.Repeat("m", 3500)
	owners := e.sessions(rooms, rooms, func(i int) string { return "mfown" + strconv.Itoa(i) }, func(int) string { return "o" }, false, true)
	e.parallel(len(owners), func(i int) {
		room := "mfa" + strconv.Itoa(i) + "@" + e.muc
		_ = owners[i].send(join(room, "owner") + configure(room, false))
		for c := 0; c < 1200 && !e.done(); c += 100 {
			var b strings.Builder
			for k := c; k < c+100; k++ {
				b.WriteString("<message type='groupchat' to='" + room + "' id='f" + strconv.Itoa(k) + "'><body>" + body + "</body></message>")
			}
			_ = owners[i].send(b.String())
		}
	})
	var mods atomic.Int64
	e.parallel(2, func(w int) {
		if w == 1 {
			_, _ = loopedAs(e, 200, 200, func(i int) string { return "mfocc" + strconv.Itoa(i) }, func(i int, s *session, k int64) error {
				if k == 1 {
					_ = s.send(join("mfa"+strconv.Itoa(i%rooms)+"@"+e.muc, "occ"+strconv.Itoa(i)))
				}
				e.hold()
				return nil
			})
			return
		}
		e.parallel(len(owners), func(i int) {
			room := "mfa" + strconv.Itoa(i) + "@" + e.muc
			for k := 0; !e.done(); k += 10 {
				var b strings.Builder
				for j := k; j < k+10; j++ {
					id := "f" + strconv.Itoa(j%1400)
					if j%2 == 0 {
						b.WriteString(moderateV1(room, id, "spam"))
					} else {
						b.WriteString(moderateV0(room, id, "spam"))
					}
				}
				b.WriteString("<message type='groupchat' to='" + room + "' id='f" + strconv.Itoa(1200+k%200) + "'><body>" + body + "</body></message>")
				if owners[i].send(b.String()) != nil {
					return
				}
				mods.Add(10)
			}
		})
	})
	return fmt.Sprintf("%d owners, %d moderations, ", len(owners), mods.Load()) + e.counts(), nil
}

func moderateBadIDs(e *env) (string, error) {
	const rooms = 10
	owners := e.sessions(rooms, rooms, func(i int) string { return "mbown" + strconv.Itoa(i) }, func(int) string { return "o" }, false, true)
	e.parallel(len(owners), func(i int) {
		room := "mbi" + strconv.Itoa(i) + "@" + e.muc
		var b strings.Builder
		b.WriteString(join(room, "owner") + configure(room, false))
		for range 1000 {
			b.WriteString("<message type='groupchat' to='" + room + "' id='same'><body>" + strings.Repeat("s", 500) + "</body></message>")
		}
		_ = owners[i].send(b.String())
	})
	long := strings.Repeat("L", 2000)
	reason := strings.Repeat("R", 100<<10)
	var mods atomic.Int64
	e.parallel(len(owners), func(i int) {
		room := "mbi" + strconv.Itoa(i) + "@" + e.muc
		for k := 0; !e.done(); k++ {
			var b strings.Builder
			for j := range 20 {
				switch j % 4 {
				case 0:
					b.WriteString(moderateV1(room, "same", reason))
				case 1:
					b.WriteString(moderateV1(room, strings.Repeat("u", 1000)+strconv.Itoa(k*20+j), "x"))
				case 2:
					b.WriteString(moderateV0(room, long, "x"))
				default:
					b.WriteString(moderateV1(room, "", "x") + moderateV0(room, "same", reason[:1000]))
				}
			}
			if owners[i].send(b.String()) != nil {
				return
			}
			mods.Add(20)
		}
	})
	return fmt.Sprintf("%d owners, %d moderations, ", len(owners), mods.Load()) + e.counts(), nil
}
