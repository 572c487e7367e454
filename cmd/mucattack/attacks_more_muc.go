package main

import (
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
)

// moreMUCAttacks go after what a room does for its occupants beyond
// joins and groupchat: nickname changes, configuration and affiliation
// forms, subjects, private messages, history requests, voice requests,
// and one address holding many occupants in many rooms.
func moreMUCAttacks() []attack {
	return []attack{
		{"muc-near-limit-fanout", "20 senders posting groupchat messages just under every parsing limit (60 deep, 60 attributes, 4,800 elements, 190 KB) to a room of 50 reading occupants", nearLimitFlood},
		{"muc-nick-change-flood", "200 occupants of one room changing nickname as fast as possible (two presences to every occupant per change)", func(e *env) (string, error) {
			room := "nicks@" + e.muc
			return loopedAs(e, 200, 200, func(i int) string { return "nc" + strconv.Itoa(i) }, func(i int, s *session, k int64) error {
				if k == 1 {
					_ = s.send(join(room, "nc"+strconv.Itoa(i)))
				}
				var b strings.Builder
				for j := range 10 {
					b.WriteString("<presence to='" + room + "/n" + strconv.Itoa(i) + "-" + strconv.FormatInt(k*10+int64(j), 36) + strings.Repeat("x", 200) + "'/>")
				}
				return s.send(b.String())
			})
		}},
		{"muc-config-flood", "50 owners each submitting configuration forms with 100 KB fields and thousands of fields, reading forms back, and setting 2,000 affiliations with 1 KB reasons, 20 occupants per room", func(e *env) (string, error) {
			desc := strings.Repeat("d", 100<<10)
			reason := strings.Repeat("r", 1000)
			var occ atomic.Int64
			e.parallel(2, func(w int) {
				if w == 1 {
					_, _ = loopedAs(e, 100, 100, func(i int) string { return "cfgocc" + strconv.Itoa(i) }, func(i int, s *session, k int64) error {
						if k == 1 {
							occ.Add(1)
							for r := range 10 {
								_ = s.send(join("cfg"+strconv.Itoa((i+r)%50)+"@"+e.muc, "occ"+strconv.Itoa(i)))
							}
						}
						return s.send("<iq type='get' id='rc' to='" + e.muc + "'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>")
					})
					return
				}
				_, _ = loopedAs(e, 50, 50, func(i int) string { return "cfgown" + strconv.Itoa(i) }, func(i int, s *session, k int64) error {
					room := "cfg" + strconv.Itoa(i) + "@" + e.muc
					var b strings.Builder
					if k == 1 {
						b.WriteString(join(room, "owner") + configure(room, true))
					}
					b.WriteString("<iq type='set' id='c" + strconv.FormatInt(k, 10) + "' to='" + room + "'><query xmlns='" + nsMUCOwner + "'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>")
					b.WriteString("<field var='muc#roomconfig_roomdesc'><value>" + desc + "</value></field><field var='muc#roomconfig_roomname'><value>" + desc[:50000] + "</value></field>")
					for f := range 1000 {
						b.WriteString("<field var='x-" + strconv.Itoa(f) + "'><value>v</value></field>")
					}
					b.WriteString("</x></query></iq>")
					b.WriteString("<iq type='get' id='g' to='" + room + "'><query xmlns='" + nsMUCOwner + "'/></iq>")
					b.WriteString("<iq type='set' id='a" + strconv.FormatInt(k, 10) + "' to='" + room + "'><query xmlns='http://jabber.org/protocol/muc#admin'>")
					for j := range 20 {
						aff := "member"
						if j%2 == 0 {
							aff = "outcast"
						}
						b.WriteString("<item affiliation='" + aff + "' jid='aff" + strconv.FormatInt((k*20+int64(j))%3000, 10) + "@" + e.domain + "'><reason>" + reason + "</reason></item>")
					}
					b.WriteString("</query></iq>")
					b.WriteString("<iq type='get' id='l' to='" + room + "'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='outcast'/></query></iq>")
					return s.send(b.String())
				})
			})
			return fmt.Sprintf("%d occupants, ", occ.Load()) + e.counts(), nil
		}},
		{"muc-subject-flood", "20 owners setting 200 KB subjects at line rate in rooms of 50 reading occupants, and 50 sessions rejoining to be sent them", func(e *env) (string, error) {
			subj := strings.Repeat("s", 200<<10)
			e.parallel(3, func(w int) {
				switch w {
				case 0:
					_, _ = loopedAs(e, 20, 20, func(i int) string { return "subown" + strconv.Itoa(i) }, func(i int, s *session, k int64) error {
						room := "subj" + strconv.Itoa(i) + "@" + e.muc
						if k == 1 {
							_ = s.send(join(room, "owner") + configure(room, false))
						}
						return s.send("<message type='groupchat' to='" + room + "'><subject>" + subj + strconv.FormatInt(k, 10) + "</subject></message>")
					})
				case 1:
					_, _ = loopedAs(e, 50, 50, func(i int) string { return "subocc" + strconv.Itoa(i) }, func(i int, s *session, k int64) error {
						if k == 1 {
							for r := range 20 {
								_ = s.send(join("subj"+strconv.Itoa(r)+"@"+e.muc, "o"+strconv.Itoa(i)))
							}
						}
						e.hold()
						return nil
					})
				default:
					_, _ = loopedAs(e, 50, 50, func(i int) string { return "subrej" + strconv.Itoa(i) }, func(i int, s *session, k int64) error {
						room := "subj" + strconv.FormatInt(k%20, 10) + "@" + e.muc
						return s.send(join(room, "r"+strconv.Itoa(i)) + "<presence type='unavailable' to='" + room + "/r" + strconv.Itoa(i) + "'/>")
					})
				}
			})
			return e.counts(), nil
		}},
		{"muc-pm-flood", "200 occupants of one room sending 2 KB private messages and iq queries to each other's nicks, 50 of them never reading", func(e *env) (string, error) {
			room := "pm@" + e.muc
			body := strings.Repeat("p", 2000)
			var lurk atomic.Int64
			e.parallel(2, func(w int) {
				if w == 1 {
					ls := e.sessions(50, 50, func(i int) string { return "pmlurk" + strconv.Itoa(i) }, func(int) string { return "l" }, true, false)
					for i, s := range ls {
						_ = s.send(join(room, "lurk"+strconv.Itoa(i)))
					}
					lurk.Store(int64(len(ls)))
					e.hold()
					return
				}
				_, _ = loopedAs(e, 150, 150, func(i int) string { return "pm" + strconv.Itoa(i) }, func(i int, s *session, k int64) error {
					if k == 1 {
						_ = s.send(join(room, "pm"+strconv.Itoa(i)))
					}
					var b strings.Builder
					for j := range 10 {
						n := (k*10 + int64(j)) % 200
						nick := "pm" + strconv.FormatInt(n, 10)
						if n >= 150 {
							nick = "lurk" + strconv.FormatInt(n-150, 10)
						}
						b.WriteString("<message type='chat' to='" + room + "/" + nick + "'><body>" + body + "</body><x xmlns='http://jabber.org/protocol/muc#user'/></message>")
						if j == 0 {
							b.WriteString("<iq type='get' id='v' to='" + room + "/" + nick + "'><query xmlns='jabber:iq:version'/></iq>")
						}
					}
					return s.send(b.String())
				})
			})
			return fmt.Sprintf("%d lurkers, ", lurk.Load()) + e.counts(), nil
		}},
		{"muc-history-request", "rooms filled to their history cap, then 100 sessions (half never reading) joining and leaving at line rate asking for all history: maxchars/maxstanzas 2^31, seconds, since 1970", func(e *env) (string, error) {
			body := strings.Repeat("h", 40<<10)
			fill := e.sessions(10, 10, func(i int) string { return "hrown" + strconv.Itoa(i) }, func(int) string { return "o" }, false, true)
			for i, s := range fill {
				room := "hreq" + strconv.Itoa(i) + "@" + e.muc
				_ = s.send(join(room, "owner") + configure(room, false) + "<iq type='set' id='c' to='" + room + "'><query xmlns='" + nsMUCOwner + "'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field><field var='muc#roomconfig_historylength'><value>1000000</value></field></x></query></iq>" +
					strings.Repeat("<message type='groupchat' to='"+room+"'><body>"+body+"</body></message>", 30))
			}
			hist := []string{"<history maxchars='2147483647' maxstanzas='2147483647'/>", "<history seconds='999999999'/>", "<history since='1970-01-01T00:00:00Z'/>", "<history/>", "<history maxchars='99999999999999999999'/>"}
			var k atomic.Int64
			e.parallel(2, func(w int) {
				if w == 0 {
					_, _ = nonReadingAs(e, 50, 50, func(i int) string { return "hrnr" + strconv.Itoa(i) }, func(n int64) string {
						room := "hreq" + strconv.FormatInt(n%10, 10) + "@" + e.muc
						nick := "n" + strconv.FormatInt(n, 36)
						return "<presence to='" + room + "/" + nick + "'><x xmlns='" + nsMUC + "'>" + hist[n%int64(len(hist))] + "</x></presence><presence type='unavailable' to='" + room + "/" + nick + "'/>"
					})
					return
				}
				_, _ = loopedAs(e, 50, 50, func(i int) string { return "hrrd" + strconv.Itoa(i) }, func(i int, s *session, n int64) error {
					k.Add(1)
					room := "hreq" + strconv.FormatInt(n%10, 10) + "@" + e.muc
					nick := "r" + strconv.Itoa(i)
					return s.send("<presence to='" + room + "/" + nick + "'><x xmlns='" + nsMUC + "'>" + hist[n%int64(len(hist))] + "</x></presence><presence type='unavailable' to='" + room + "/" + nick + "'/>")
				})
			})
			return fmt.Sprintf("%d reading joins, ", k.Load()) + e.counts(), nil
		}},
		{"muc-many-rooms-one-ip", "from one address: 100 rooms, then 300 sessions of 30 accounts each joining all of them (30,000 occupancies), changing presence and leaving", func(e *env) (string, error) {
			src := ip(0)
			var occ atomic.Int64
			var next atomic.Int64
			e.parallel(32, func(w int) {
				for !e.done() {
					i := int(next.Add(1) - 1)
					if i >= 300 {
						e.hold()
						return
					}
					// 30 accounts (what one address may create on the fly
					// in a minute), 10 resources each.
					s, err := e.login(src, "mr"+strconv.Itoa(i%30), "m"+strconv.Itoa(i), false)
					if err != nil {
						continue
					}
					s.drain()
					var b strings.Builder
					for r := range 100 {
						room := "many" + strconv.Itoa(r) + "@" + e.muc
						b.WriteString(join(room, "m"+strconv.Itoa(i)))
						if i < 100 && r == i {
							b.WriteString(configure(room, false))
						}
					}
					if s.send(b.String()) == nil {
						occ.Add(100)
					}
					go func() {
						for k := 0; !e.done(); k++ {
							st := "<presence><status>" + strings.Repeat("s", 500) + strconv.Itoa(k) + "</status></presence>"
							if k%3 == 2 {
								st = "<presence type='unavailable'/>"
							}
							var b strings.Builder
							for r := range 100 {
								b.WriteString("<presence to='many" + strconv.Itoa(r) + "@" + e.muc + "/m" + strconv.Itoa(i) + "'><status>" + strconv.Itoa(k) + "</status></presence>")
							}
							if s.send(st+b.String()) != nil {
								return
							}
						}
					}()
				}
			})
			return fmt.Sprintf("%d occupancies asked for, ", occ.Load()) + e.counts(), nil
		}},
		{"muc-voice-request-flood", "a moderated room: 200 visitors sending voice requests with 2 KB nicks and reasons at line rate to 5 moderators, one never reading", func(e *env) (string, error) {
			room := "voice@" + e.muc
			mods := e.sessions(5, 5, func(i int) string { return "vmod" + strconv.Itoa(i) }, func(int) string { return "m" }, true, false)
			if len(mods) > 0 {
				_ = mods[0].send(join(room, "owner") + "<iq type='set' id='c' to='" + room + "'><query xmlns='" + nsMUCOwner + "'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field><field var='muc#roomconfig_moderatedroom'><value>1</value></field></x></query></iq>")
				for i, s := range mods[1:] {
					s.drain()
					_ = mods[0].send("<iq type='set' id='a' to='" + room + "'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='admin' jid='vmod" + strconv.Itoa(i+1) + "@" + e.domain + "'/></query></iq>")
					_ = s.send(join(room, "mod"+strconv.Itoa(i+1)))
				}
			}
			reason := strings.Repeat("v", 2000)
			return loopedAs(e, 200, 200, func(i int) string { return "vis" + strconv.Itoa(i) }, func(i int, s *session, k int64) error {
				if k == 1 {
					_ = s.send(join(room, "vis"+strconv.Itoa(i)))
				}
				return s.send(strings.Repeat("<message to='"+room+"'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#request</value></field><field var='muc#role' type='list-single'><value>participant</value></field><field var='muc#roomnick'><value>"+reason+"</value></field><field var='x-reason'><value>"+reason+"</value></field></x></message>", 5))
			})
		}},
	}
}

// nearLimitStanza is a groupchat message to room just under every parsing
// limit of mucd's defaults: 60 levels deep, 60 attributes on each of the
// deepest elements, 4,800 elements in all, about 190 KB.
func nearLimitStanza(room string, k int64) string {
	var b strings.Builder
	b.WriteString("<message type='groupchat' to='" + room + "' id='n" + strconv.FormatInt(k, 36) + "'><body>near the limits</body>")
	b.WriteString(strings.Repeat("<d xmlns='urn:attack:deep'>", 60))
	b.WriteString(strings.Repeat("</d>", 60))
	var attrs strings.Builder
	for a := range 60 {
		attrs.WriteString(" a" + strconv.Itoa(a) + "='" + strings.Repeat("v", 60) + "'")
	}
	for range 40 {
		b.WriteString("<w xmlns='urn:attack:wide'" + attrs.String() + ">")
		b.WriteString(strings.Repeat("<e/>", 116))
		b.WriteString("</w>")
	}
	b.WriteString("</message>")
	return b.String()
}

// nearLimitFlood has 50 reading occupants in one room while 20 senders
// post messages just under every parsing limit, each fanned out to all.
func nearLimitFlood(e *env) (string, error) {
	room := "nearlimit@" + e.muc
	occ := e.sessions(50, 50, func(i int) string { return "nlocc" + strconv.Itoa(i) }, func(int) string { return "o" }, false, true)
	for i, s := range occ {
		_ = s.send(join(room, "occ"+strconv.Itoa(i)))
	}
	note, err := loopedAs(e, 20, 20, func(i int) string { return "nlsend" + strconv.Itoa(i) }, func(i int, s *session, k int64) error {
		if k == 1 {
			_ = s.send(join(room, "send"+strconv.Itoa(i)))
		}
		return s.send(nearLimitStanza(room, k))
	})
	return fmt.Sprintf("%d occupants, ", len(occ)) + note, err
}
