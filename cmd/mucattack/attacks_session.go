package main

import (
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// sessionAttacks abuse SASL, binding and the per-session features: SASL
// floods, resources, roster and presence, iq routing, ping and stanza
// floods, XEP-0198 hibernation, CSI, carbons and blocking.
func sessionAttacks() []attack {
	return []attack{
		{"sasl-flood", "connections sending SASL auth attempts as fast as possible: bad base64, unknown mechanisms, aborts, huge payloads", func(e *env) (string, error) {
			var k atomic.Int64
			return repeatConnect(e, 32, 200, func(nc net.Conn) error {
				var b strings.Builder
				b.WriteString(e.streamHeader())
				for range 20 {
					switch k.Add(1) % 5 {
					case 0:
						b.WriteString("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>!!notbase64!!</auth>")
					case 1:
						b.WriteString("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='X-NOPE'/>")
					case 2:
						b.WriteString("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>biwsbj11c2VyLHI9YWJj</auth><abort xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>")
					case 3:
						b.WriteString("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + base64.StdEncoding.EncodeToString([]byte("\x00"+strings.Repeat("u", 3000)+"\x00pw")) + "</auth>")
					default:
						b.WriteString("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + base64.StdEncoding.EncodeToString([]byte("admin\x00admin\x00guess"+strconv.FormatInt(k.Load(), 10))) + "</auth>")
					}
				}
				_, err := io.WriteString(nc, b.String())
				return err
			})
		}},
		{"scram-huge", "SCRAM-SHA-1/256 first messages with 8 KB nonces and usernames, and a forged client-final with a huge proof", func(e *env) (string, error) {
			var k atomic.Int64
			return repeatConnect(e, 32, 200, func(nc net.Conn) error {
				mech := "SCRAM-SHA-1"
				if k.Add(1)%2 == 0 {
					mech = "SCRAM-SHA-256"
				}
				first := "n,,n=" + strings.Repeat("u", 4000) + ",r=" + strings.Repeat("N", 8000)
				final := "c=biws,r=" + strings.Repeat("N", 8000) + "x,p=" + strings.Repeat("A", 8000)
				_, err := io.WriteString(nc, e.streamHeader()+"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='"+mech+"'>"+base64.StdEncoding.EncodeToString([]byte(first))+"</auth>"+
					"<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"+base64.StdEncoding.EncodeToString([]byte(final))+"</response>")
				return err
			})
		}},
		{"resource-flood", "one account binding resources from 2,000 connections over 100 addresses (and 50 accounts x 100 from one IP)", func(e *env) (string, error) {
			ss := e.sessions(2000, 100, func(i int) string {
				if i%2 == 0 {
					return "resflood"
				}
				return "resacct" + strconv.Itoa(i%50)
			}, func(i int) string { return "r" + strconv.Itoa(i) }, false, true)
			for _, s := range ss {
				_ = s.send("<presence><priority>1</priority><status>" + strings.Repeat("s", 1000) + "</status></presence>")
			}
			note := e.counts()
			e.hold()
			return note, nil
		}},
		{"roster-flood", "100 accounts each setting roster items with long names and many groups, past the quota", func(e *env) (string, error) {
			return looped(e, 100, 100, func(s *session, k int64) error {
				var b strings.Builder
				b.WriteString("<iq type='set' id='r" + strconv.FormatInt(k, 10) + "'><query xmlns='jabber:iq:roster'><item jid='c" + strconv.FormatInt(k, 10) + "@" + e.domain + "' name='" + strings.Repeat("n", 1000) + "'>")
				for g := range 50 {
					b.WriteString("<group>" + strings.Repeat("g", 100) + strconv.Itoa(g) + "</group>")
				}
				b.WriteString("</item></query></iq>")
				return s.send(b.String())
			})
		}},
		{"subscription-flood", "100 accounts sending presence subscriptions with big status to many new names", func(e *env) (string, error) {
			return looped(e, 100, 100, func(s *session, k int64) error {
				return s.send("<presence type='subscribe' to='sub" + strconv.FormatInt(k%5000, 10) + "@" + e.domain + "'><status>" + strings.Repeat("please", 500) + "</status><nick xmlns='http://jabber.org/protocol/nick'>" + strings.Repeat("n", 1000) + "</nick></presence>")
			})
		}},
		{"presence-probe-storm", "100 sessions sending presence probes and directed presence to many JIDs", func(e *env) (string, error) {
			return looped(e, 100, 100, func(s *session, k int64) error {
				return s.send("<presence type='probe' to='l" + strconv.FormatInt(k%100, 10) + "@" + e.domain + "'/><presence to='l" + strconv.FormatInt((k+1)%100, 10) + "@" + e.domain + "/x'><status>" + strings.Repeat("p", 2000) + "</status></presence>")
			})
		}},
		{"ping-flood-nonreading", "200 sessions over 200 addresses sending pings at line rate and never reading the answers", func(e *env) (string, error) {
			return nonReading(e, 200, 200, func(k int64) string {
				var b strings.Builder
				for i := range 100 {
					b.WriteString("<iq type='get' id='p" + strconv.FormatInt(k*100+int64(i), 36) + "' to='" + e.domain + "'><ping xmlns='urn:xmpp:ping'/></iq>")
				}
				return b.String()
			})
		}},
		{"disco-flood-nonreading", "200 non-reading sessions asking for disco#info and the version of the server at line rate", func(e *env) (string, error) {
			return nonReading(e, 200, 200, func(k int64) string {
				return strings.Repeat("<iq type='get' id='d' to='"+e.domain+"'><query xmlns='http://jabber.org/protocol/disco#info'/></iq><iq type='get' id='v' to='"+e.domain+"'><query xmlns='jabber:iq:version'/></iq>", 30)
			})
		}},
		{"stanza-flood-line-rate", "200 sessions over 200 addresses sending 1 KB messages to each other as fast as they can, reading", func(e *env) (string, error) {
			body := strings.Repeat("m", 1000)
			return looped(e, 200, 200, func(s *session, k int64) error {
				var b strings.Builder
				for i := range 20 {
					b.WriteString("<message type='chat' to='l" + strconv.FormatInt((k+int64(i))%200, 10) + "@" + e.domain + "'><body>" + body + "</body></message>")
				}
				return s.send(b.String())
			})
		}},
		{"message-flood-to-nonreader", "100 senders flooding 1 KB messages at 20 sessions that never read", func(e *env) (string, error) {
			victims := e.sessions(20, 20, func(i int) string { return "victim" + strconv.Itoa(i) }, func(int) string { return "v" }, true, false)
			for _, v := range victims {
				_ = v.send("<presence/>")
			}
			body := strings.Repeat("m", 1000)
			note, err := looped(e, 100, 100, func(s *session, k int64) error {
				return s.send(strings.Repeat("<message type='chat' to='victim"+strconv.FormatInt(k%20, 10)+"@"+e.domain+"/v'><body>"+body+"</body></message>", 20))
			})
			return note, err
		}},
		{"iq-id-collision", "100 sessions sending iq gets with one id to each other's full JIDs and unsolicited results and errors", func(e *env) (string, error) {
			return looped(e, 100, 100, func(s *session, k int64) error {
				to := "l" + strconv.FormatInt(k%100, 10) + "@" + e.domain
				return s.send(strings.Repeat("<iq type='get' id='same' to='"+to+"'><query xmlns='jabber:iq:version'/></iq><iq type='result' id='same' to='"+to+"'/><iq type='error' id='same' to='"+e.domain+"'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>", 10))
			})
		}},
		{"sm-hibernate-flood", "sessions enabling XEP-0198 resumption and dropping their connections, then messages sent to the hibernated sessions", func(e *env) (string, error) {
			return smHibernate(e)
		}},
		{"sm-resume-flood", "connections sending <resume/> with made-up and stolen-looking ids as fast as possible", func(e *env) (string, error) {
			var k atomic.Int64
			return repeatConnect(e, 32, 200, func(nc net.Conn) error {
				s, err := e.loginOnNoBind(nc, "smr"+strconv.FormatInt(k.Add(1)%100, 10))
				if err != nil {
					return err
				}
				return s.send(strings.Repeat("<resume xmlns='urn:xmpp:sm:3' previd='"+strings.Repeat("Z", 3000)+strconv.FormatInt(k.Load(), 10)+"' h='4294967295'/>", 3))
			})
		}},
		{"csi-buffer-growth", "300 sessions going CSI-inactive while presence and messages flood them", func(e *env) (string, error) {
			victims := e.sessions(300, 300, func(i int) string { return "csi" + strconv.Itoa(i) }, func(int) string { return "c" }, true, false)
			for _, v := range victims {
				_ = v.send("<presence/><inactive xmlns='urn:xmpp:csi:0'/>")
			}
			big := strings.Repeat("s", 4000)
			return looped(e, 50, 50, func(s *session, k int64) error {
				to := "csi" + strconv.FormatInt(k%300, 10) + "@" + e.domain
				return s.send("<presence to='" + to + "/c'><status>" + big + strconv.FormatInt(k, 10) + "</status></presence><message type='chat' to='" + to + "/c'><body>" + big + "</body></message><message type='headline' to='" + to + "/c'><body>" + big + "</body></message>")
			})
		}},
		{"carbons-fanout", "one account with 100 resources enabling carbons, others sending it messages at line rate", func(e *env) (string, error) {
			res := e.sessions(100, 100, func(int) string { return "carbon" }, func(i int) string { return "c" + strconv.Itoa(i) }, true, false)
			for _, s := range res {
				_ = s.send("<presence/><iq type='set' id='c'><enable xmlns='urn:xmpp:carbons:2'/></iq>")
			}
			body := strings.Repeat("c", 2000)
			return looped(e, 50, 50, func(s *session, k int64) error {
				return s.send(strings.Repeat("<message type='chat' to='carbon@"+e.domain+"/c"+strconv.FormatInt(k%100, 10)+"'><body>"+body+"</body></message>", 10))
			})
		}},
		{"blocklist-growth", "100 accounts blocking JIDs with 1 KB parts until the quota", func(e *env) (string, error) {
			return looped(e, 100, 100, func(s *session, k int64) error {
				var b strings.Builder
				b.WriteString("<iq type='set' id='b" + strconv.FormatInt(k, 10) + "'><block xmlns='urn:xmpp:blocking'>")
				for i := range 20 {
					b.WriteString("<item jid='" + strings.Repeat("b", 1000) + strconv.FormatInt(k*20+int64(i), 10) + "@" + strings.Repeat("d", 1000) + "'/>")
				}
				b.WriteString("</block></iq>")
				return s.send(b.String())
			})
		}},
	}
}

// nonReading has n sessions (small receive buffers, never reading) send
// what chunk makes for as long as the server takes it.
func nonReading(e *env, n, nIPs int, chunk func(k int64) string) (string, error) {
	return nonReadingAs(e, n, nIPs, func(i int) string { return "nr" + strconv.Itoa(i) }, chunk)
}

// loginOnNoBind authenticates on nc and restarts the stream, without
// binding a resource (for <resume/>).
func (e *env) loginOnNoBind(nc net.Conn, user string) (*session, error) {
	auth := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00pw"))
	s := &session{e: e, nc: nc}
	err := s.send(e.streamHeader() + "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + auth + "</auth>" + e.streamHeader())
	return s, err
}

// smHibernate logs in sessions over many addresses, enables resumption,
// has the server queue a few stanzas for each, drops the connections
// without a closing tag, and keeps others sending to the hibernated
// resources.
func smHibernate(e *env) (string, error) {
	var dropped atomic.Int64
	body := strings.Repeat("h", 4000)
	e.parallel(32, func(w int) {
		for k := 0; !e.done(); k++ {
			i := w + 32*k
			s, err := e.login(ip(i%250), "hib"+strconv.Itoa(i%3000), "h"+strconv.Itoa(i), false)
			if err != nil {
				time.Sleep(20 * time.Millisecond)
				continue
			}
			if err := s.send("<presence/><enable xmlns='urn:xmpp:sm:3' resume='true'/>" +
				strings.Repeat("<message type='chat' to='"+s.jid+"'><body>"+body+"</body></message>", 20)); err != nil {
				continue
			}
			_, _ = s.readUntil("enabled")
			s.nc.Close()
			dropped.Add(1)
		}
	})
	return e.counts() + fmt.Sprintf(", %d sessions dropped to hibernation", dropped.Load()), nil
}
