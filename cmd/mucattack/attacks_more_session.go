package main

import (
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// moreSessionAttacks are the session-level attacks an outside battery
// would add to ours: state the server keeps per session that grows with
// what the client sends (directed presences, subscriptions, XEP-0198
// counters, CSI queues), full TLS handshakes, stream restarts, and a sweep
// of every iq the server answers.
func moreSessionAttacks() []attack {
	return []attack{
		{"directed-presence-spread", "200 sessions over 200 addresses sending directed available presence to ever new 1 KB full JIDs (each remembered for the unavailable), going unavailable now and then", func(e *env) (string, error) {
			res := strings.Repeat("r", 1000)
			status := strings.Repeat("d", 500)
			return loopedAs(e, 200, 200, func(i int) string { return "dp" + strconv.Itoa(i) }, func(i int, s *session, k int64) error {
				var b strings.Builder
				for j := range 50 {
					b.WriteString("<presence to='dpt" + strconv.Itoa(j) + "@" + e.domain + "/" + res + strconv.FormatInt(k, 36) + "'><status>" + status + "</status></presence>")
				}
				if k%400 == 399 {
					b.WriteString("<presence type='unavailable'/>")
				}
				return s.send(b.String())
			})
		}},
		{"subscription-pingpong", "50 pairs of accounts subscribing, approving, unsubscribing and revoking each other at line rate (roster pushes both ways)", func(e *env) (string, error) {
			return loopedAs(e, 100, 100, func(i int) string { return "pp" + strconv.Itoa(i) }, func(i int, s *session, k int64) error {
				peer := "pp" + strconv.Itoa(i^1) + "@" + e.domain
				var b strings.Builder
				for range 10 {
					b.WriteString("<presence type='subscribe' to='" + peer + "'/><presence type='subscribed' to='" + peer + "'/><presence type='unsubscribe' to='" + peer + "'/><presence type='unsubscribed' to='" + peer + "'/>")
				}
				return s.send(b.String())
			})
		}},
		{"sm-ack-storm", "200 sessions enabling XEP-0198 (twice), then flooding <r/>, acks with huge and bogus h and pings, half of them never reading", func(e *env) (string, error) {
			var k0 atomic.Int64
			e.parallel(200, func(i int) {
				for !e.done() {
					s, err := e.login(ip(i), "sma"+strconv.Itoa(i), "s"+strconv.FormatInt(k0.Add(1), 10), i%2 == 0)
					if err != nil {
						time.Sleep(50 * time.Millisecond)
						continue
					}
					if i%2 == 1 {
						s.drain()
					}
					_ = s.send("<enable xmlns='urn:xmpp:sm:3' resume='true'/><enable xmlns='urn:xmpp:sm:3' resume='true'/>")
					for k := int64(0); !e.done(); k++ {
						var b strings.Builder
						for j := range 50 {
							switch j % 5 {
							case 0:
								b.WriteString("<r xmlns='urn:xmpp:sm:3'/>")
							case 1:
								b.WriteString("<a xmlns='urn:xmpp:sm:3' h='4294967295'/>")
							case 2:
								b.WriteString("<a xmlns='urn:xmpp:sm:3' h='" + strconv.FormatInt(k*50+int64(j), 10) + "'/>")
							case 3:
								b.WriteString("<iq type='get' id='p' to='" + e.domain + "'><ping xmlns='urn:xmpp:ping'/></iq>")
							default:
								b.WriteString("<message to='" + s.jid + "'><body>self</body></message>")
							}
						}
						if s.send(b.String()) != nil {
							break
						}
					}
					s.nc.Close()
				}
			})
			return e.counts(), nil
		}},
		{"sm-huge-h", "sessions acking with h of 2^32-1, 2^64, -1 and 1,000 digits, and resuming with h past what was sent", func(e *env) (string, error) {
			var k atomic.Int64
			hs := []string{"4294967295", "18446744073709551616", "-1", strings.Repeat("9", 1000), "0x10", ""}
			return repeatConnect(e, 32, 200, func(nc net.Conn) error {
				n := k.Add(1)
				s, err := e.loginOn(nc, "smh"+strconv.FormatInt(n%100, 10), "h"+strconv.FormatInt(n, 10))
				if err != nil {
					return err
				}
				h := hs[n%int64(len(hs))]
				return s.send("<enable xmlns='urn:xmpp:sm:3' resume='true'/><message to='" + s.jid + "'><body>x</body></message><a xmlns='urn:xmpp:sm:3' h='" + h + "'/><r xmlns='urn:xmpp:sm:3'/>")
			})
		}},
		{"csi-flip-flood", "200 sessions flipping CSI inactive/active at line rate while 50 senders send them presence and messages", func(e *env) (string, error) {
			var note atomic.Value
			note.Store("")
			e.parallel(2, func(w int) {
				if w == 0 {
					n, _ := loopedAs(e, 200, 200, func(i int) string { return "flip" + strconv.Itoa(i) }, func(i int, s *session, k int64) error {
						if k <= 200 {
							_ = s.send("<presence/>")
						}
						return s.send(strings.Repeat("<inactive xmlns='urn:xmpp:csi:0'/><active xmlns='urn:xmpp:csi:0'/>", 50) + "<inactive xmlns='urn:xmpp:csi:0'/>")
					})
					note.Store(n)
					return
				}
				status := strings.Repeat("s", 1000)
				_, _ = loopedAs(e, 50, 50, func(i int) string { return "flipper" + strconv.Itoa(i) }, func(i int, s *session, k int64) error {
					var b strings.Builder
					for j := range 10 {
						to := "flip" + strconv.FormatInt((k*10+int64(j))%200, 10) + "@" + e.domain
						b.WriteString("<presence to='" + to + "'><status>" + status + strconv.FormatInt(k, 10) + "</status></presence><message to='" + to + "' type='chat'><body>" + status + "</body></message>")
					}
					return s.send(b.String())
				})
			})
			return note.Load().(string), nil
		}},
		{"tls-handshake-flood", "32 workers doing STARTTLS and a full TLS handshake on new connections from 200 addresses as fast as possible", func(e *env) (string, error) {
			var done atomic.Int64
			cfg := &tls.Config{InsecureSkipVerify: true, ServerName: e.domain}
			note, err := repeatConnect(e, 32, 200, func(nc net.Conn) error {
				_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
				if err := startTLS(e, nc); err != nil {
					return err
				}
				tc := tls.Client(nc, cfg)
				if err := tc.Handshake(); err != nil {
					return err
				}
				done.Add(1)
				_, err := io.WriteString(tc, e.streamHeader())
				return err
			})
			return fmt.Sprintf("%d handshakes, ", done.Load()) + note, err
		}},
		{"stream-restart-loop", "connections sending stream header after stream header before auth, after auth, and after bind", func(e *env) (string, error) {
			var k atomic.Int64
			hdr := e.streamHeader()
			return repeatConnect(e, 32, 200, func(nc net.Conn) error {
				switch k.Add(1) % 3 {
				case 0:
					_, err := io.WriteString(nc, strings.Repeat(hdr, 300))
					return err
				case 1:
					auth := base64.StdEncoding.EncodeToString([]byte("\x00srl" + strconv.FormatInt(k.Load()%50, 10) + "\x00pw"))
					_, err := io.WriteString(nc, hdr+"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"+auth+"</auth>"+strings.Repeat(hdr, 300))
					return err
				default:
					s, err := e.loginOn(nc, "srb"+strconv.FormatInt(k.Load()%50, 10), "")
					if err != nil {
						return err
					}
					return s.send(strings.Repeat(hdr+"<presence/>", 100))
				}
			})
		}},
		{"sasl-malformed", "PLAIN with empty, extra-NUL, invalid UTF-8 and other users' authzids, responses and successes sent by the client, auth after auth", func(e *env) (string, error) {
			var k atomic.Int64
			b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
			bad := []string{
				"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>=</auth>",
				"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + b64("\x00\x00\x00\x00") + "</auth>",
				"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + b64("admin@localhost\x00u\x00p") + "</auth>",
				"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + b64("\x00\xff\xfe\x00p") + "</auth>",
				"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + b64("\x00u@evil.example/x\x00p") + "</auth>",
				"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'/>" + strings.Repeat("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"+b64(strings.Repeat("r", 3000))+"</response>", 3),
				"<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>AAAA</response><success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/><challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>",
				"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='" + strings.Repeat("M", 2000) + "'/>",
				"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + b64("\x00ok\x00p") + "</auth><auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + b64("\x00ok2\x00p") + "</auth>",
			}
			return repeatConnect(e, 32, 200, func(nc net.Conn) error {
				var b strings.Builder
				b.WriteString(e.streamHeader())
				for range 10 {
					b.WriteString(bad[k.Add(1)%int64(len(bad))])
				}
				_, err := io.WriteString(nc, b.String())
				return err
			})
		}},
		{"iq-feature-sweep", "100 non-reading sessions asking every feature: disco of server, components and accounts, vCards and PEP items of 20 accounts holding big ones, roster, private, blocklist, MAM with huge RSM, pubsub with huge max_items", func(e *env) (string, error) {
			return featureSweep(e)
		}},
		{"mam-rsm-abuse", "50 accounts filling archives, then 100 reading sessions paging them with max 2^31, before/after of unknown and huge ids, and huge filters", func(e *env) (string, error) {
			return mamRSM(e)
		}},
		{"register-flood", "in-band registrations (XEP-0077) under ever new names, some with 3 KB usernames and passwords, from 250 addresses (skipped unless mucd runs with -allow-registration)", registerFlood},
		{"roster-push-fanout", "one account with 100 resources that all asked for the roster while 20 of them set 6 KB roster items at line rate (each push to every resource)", func(e *env) (string, error) {
			res := e.sessions(100, 100, func(int) string { return "fanroster" }, func(i int) string { return "f" + strconv.Itoa(i) }, false, true)
			for _, s := range res {
				_ = s.send("<iq type='get' id='rg'><query xmlns='jabber:iq:roster'/></iq><presence/>")
			}
			var k atomic.Int64
			e.parallel(min(20, len(res)), func(i int) {
				s := res[i]
				for !e.done() {
					n := k.Add(1)
					var b strings.Builder
					b.WriteString("<iq type='set' id='r" + strconv.FormatInt(n, 10) + "'><query xmlns='jabber:iq:roster'><item jid='c" + strconv.FormatInt(n%900, 10) + "@" + e.domain + "' name='" + strings.Repeat("n", 1000) + strconv.FormatInt(n, 10) + "'>")
					for g := range 50 {
						b.WriteString("<group>" + strings.Repeat("g", 100) + strconv.Itoa(g) + "</group>")
					}
					b.WriteString("</item></query></iq>")
					if s.send(b.String()) != nil {
						return
					}
				}
			})
			return fmt.Sprintf("%d resources, ", len(res)) + e.counts(), nil
		}},
	}
}

// loopedAs is looped with account names from name and the worker's index
// passed to f (for attacks whose sessions pair up).
func loopedAs(e *env, n, nIPs int, name func(int) string, f func(i int, s *session, k int64) error) (string, error) {
	var cut atomic.Int64
	e.parallel(n, func(i int) {
		for k := int64(0); !e.done(); {
			s, err := e.login(ip(i%nIPs), name(i), "", false)
			if err != nil {
				time.Sleep(50 * time.Millisecond)
				continue
			}
			s.drain()
			for !e.done() {
				k++
				if err := f(i, s, k); err != nil {
					if !e.done() {
						cut.Add(1)
					}
					break
				}
			}
			s.nc.Close()
		}
	})
	return e.counts() + fmt.Sprintf(", server cut %d", cut.Load()), nil
}

// featureSweep has 20 accounts store big vCards, private XML and PEP
// items, then 100 non-reading sessions ask for all of it and for every
// other answer the server gives, at line rate.
func featureSweep(e *env) (string, error) {
	big := strings.Repeat("v", 200<<10)
	item := strings.Repeat("i", 50<<10)
	owners := e.sessions(20, 20, func(i int) string { return "rich" + strconv.Itoa(i) }, func(int) string { return "r" }, false, true)
	for _, s := range owners {
		var b strings.Builder
		b.WriteString("<iq type='set' id='v'><vCard xmlns='vcard-temp'><DESC>" + big + "</DESC></vCard></iq>")
		b.WriteString("<iq type='set' id='p'><query xmlns='jabber:iq:private'><x xmlns='urn:attack:sweep'>" + item + "</x></query></iq>")
		for j := range 10 {
			b.WriteString("<iq type='set' id='e" + strconv.Itoa(j) + "'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='urn:attack:sweep'><item id='i" + strconv.Itoa(j) + "'><x xmlns='urn:attack'>" + item + "</x></item></publish><publish-options><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#publish-options</value></field><field var='pubsub#access_model'><value>open</value></field><field var='pubsub#max_items'><value>max</value></field></x></publish-options></pubsub></iq>")
		}
		_ = s.send(b.String())
	}
	disco := func(to, ns string) string {
		return "<iq type='get' id='d' to='" + to + "'><query xmlns='http://jabber.org/protocol/disco#" + ns + "'/></iq>"
	}
	note, err := nonReading(e, 100, 100, func(k int64) string {
		r := "rich" + strconv.FormatInt(k%20, 10) + "@" + e.domain
		var b strings.Builder
		for _, to := range []string{e.domain, e.muc, "pubsub." + e.domain, "upload." + e.domain, r} {
			b.WriteString(disco(to, "info") + disco(to, "items"))
		}
		b.WriteString("<iq type='get' id='vc' to='" + r + "'><vCard xmlns='vcard-temp'/></iq>")
		b.WriteString("<iq type='get' id='it' to='" + r + "'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:attack:sweep' max_items='4294967295'/></pubsub></iq>")
		b.WriteString("<iq type='get' id='it2' to='" + r + "'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:attack:sweep' max_items='-1'/></pubsub></iq>")
		b.WriteString("<iq type='get' id='ro'><query xmlns='jabber:iq:roster'/></iq><iq type='get' id='pr'><query xmlns='jabber:iq:private'><x xmlns='urn:attack:sweep'/></query></iq>")
		b.WriteString("<iq type='get' id='bl'><blocklist xmlns='urn:xmpp:blocking'/></iq><iq type='get' id='mv'><vCard xmlns='vcard-temp'/></iq>")
		b.WriteString("<iq type='set' id='mam'><query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><max>2147483647</max><before/></set></query></iq>")
		b.WriteString("<iq type='get' id='t' to='" + e.domain + "'><time xmlns='urn:xmpp:time'/></iq><iq type='get' id='l' to='" + r + "'><query xmlns='jabber:iq:last'/></iq><iq type='get' id='ve' to='" + r + "'><query xmlns='jabber:iq:version'/></iq>")
		b.WriteString("<iq type='get' id='sub' to='pubsub." + e.domain + "'><pubsub xmlns='http://jabber.org/protocol/pubsub'><subscriptions/></pubsub></iq>")
		b.WriteString("<iq type='get' id='mi' to='" + e.muc + "'><query xmlns='http://jabber.org/protocol/disco#items'><set xmlns='http://jabber.org/protocol/rsm'><max>2147483647</max></set></query></iq>")
		return b.String()
	})
	return fmt.Sprintf("%d owners, ", len(owners)) + note, err
}

// mamRSM fills 50 archives, then pages them with every RSM and filter
// form an attacker would try, reading the answers (so that each page is
// built, serialised and written, not merely queued).
func mamRSM(e *env) (string, error) {
	body := strings.Repeat("a", 2<<10)
	fill := e.sessions(50, 50, func(i int) string { return "rsm" + strconv.Itoa(i) }, func(int) string { return "m" }, false, true)
	until := time.Now().Add(e.b.o.dur / 4)
	e.parallel(len(fill), func(i int) {
		s := fill[i]
		for time.Now().Before(until) && !e.done() {
			if s.send(strings.Repeat("<message type='chat' to='"+s.jid+"'><body>"+body+"</body></message>", 10)) != nil {
				return
			}
		}
	})
	e.closeAll()
	hugeID := strings.Repeat("x", 3000)
	with := strings.Repeat("w", 1000) + "@" + e.domain
	qs := []string{
		"<query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><max>2147483647</max></set></query>",
		"<query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><max>99999999999999999999</max><before/></set></query>",
		"<query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><max>1000</max><after>" + hugeID + "</after></set></query>",
		"<query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><max>-5</max><before>" + hugeID + "</before></set></query>",
		"<query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><index>999999</index><max>1000</max></set></query>",
		"<query xmlns='urn:xmpp:mam:2'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>urn:xmpp:mam:2</value></field><field var='with'><value>" + with + "</value></field><field var='start'><value>1970-01-01T00:00:00Z</value></field><field var='end'><value>9999-12-31T23:59:59Z</value></field></x><set xmlns='http://jabber.org/protocol/rsm'><max>1000</max></set></query>",
		"<query xmlns='urn:xmpp:mam:2'><flip-page/><set xmlns='http://jabber.org/protocol/rsm'><max>1000</max><before/></set></query>",
		"<query xmlns='urn:xmpp:mam:2'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>urn:xmpp:mam:2</value></field>" + strings.Repeat("<field var='ids'><value>"+hugeID+"</value></field>", 20) + "</x></query>",
	}
	return loopedAs(e, 100, 100, func(i int) string { return "rsm" + strconv.Itoa(i%50) }, func(i int, s *session, k int64) error {
		return s.send("<iq type='set' id='q" + strconv.FormatInt(k, 10) + "'>" + qs[k%int64(len(qs))] + "</iq>")
	})
}

// registerFlood creates accounts in-band (XEP-0077) under ever new names
// from 250 addresses, with 3 KB usernames and passwords every tenth time;
// it is skipped when the server does not offer registration (mucd's
// default: -allow-registration is off).
func registerFlood(e *env) (string, error) {
	nc, err := e.dialOpt(nil, false, false)
	if err != nil {
		return "", err
	}
	_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
	_, _ = io.WriteString(nc, e.streamHeader())
	var seen []byte
	buf := make([]byte, 4096)
	for !strings.Contains(string(seen), "</stream:features>") {
		n, err := nc.Read(buf)
		seen = append(seen, buf[:n]...)
		if err != nil {
			break
		}
	}
	nc.Close()
	if !strings.Contains(string(seen), "http://jabber.org/features/iq-register") {
		return "skipped: the server offers no in-band registration (mucd -allow-registration is off by default)", nil
	}
	var k atomic.Int64
	var ok atomic.Int64
	note, err := repeatConnect(e, 32, 250, func(nc net.Conn) error {
		var b strings.Builder
		b.WriteString(e.streamHeader())
		for range 10 {
			n := k.Add(1)
			user, pass := "reg"+strconv.FormatInt(n, 36), "pw"
			if n%10 == 0 {
				user, pass = strings.Repeat("u", 3000)+strconv.FormatInt(n, 36), strings.Repeat("p", 3000)
			}
			b.WriteString("<iq type='get' id='g" + strconv.FormatInt(n, 10) + "'><query xmlns='jabber:iq:register'/></iq>")
			b.WriteString("<iq type='set' id='s" + strconv.FormatInt(n, 10) + "'><query xmlns='jabber:iq:register'><username>" + user + "</username><password>" + pass + "</password></query></iq>")
		}
		if _, err := io.WriteString(nc, b.String()); err != nil {
			return err
		}
		ok.Add(10)
		return nil
	})
	return fmt.Sprintf("%d registrations asked for, ", ok.Load()) + note, err
}
