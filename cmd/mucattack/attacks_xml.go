package main

import (
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// xmlAttacks send hostile XML inside a logged-in stream, where the limits
// are the larger ones of an authenticated client.
func xmlAttacks() []attack {
	return []attack{
		{"deep-nesting", "16 sessions each sending a message nested a million elements deep", func(e *env) (string, error) {
			return streamed(e, 16, "<message to='x@"+e.domain+"'>", func(int64) string { return strings.Repeat("<a>", 2000) })
		}},
		{"many-tiny-elements", "16 sessions each sending a message with endless empty children", func(e *env) (string, error) {
			return streamed(e, 16, "<message to='x@"+e.domain+"'><body>x</body>", func(int64) string { return strings.Repeat("<b/>", 2000) })
		}},
		{"many-tiny-stanzas", "16 sessions each sending endless tiny presence-less iq results nobody asked for", func(e *env) (string, error) {
			return streamed(e, 16, "", func(k int64) string {
				var b strings.Builder
				for i := range 300 {
					b.WriteString("<iq type='result' id='" + strconv.FormatInt(k*300+int64(i), 36) + "'/>")
				}
				return b.String()
			})
		}},
		{"giant-text", "16 sessions each streaming a message body that never ends", func(e *env) (string, error) {
			return streamed(e, 16, "<message to='x@"+e.domain+"'><body>", func(int64) string { return strings.Repeat("lorem ipsum ", 2000) })
		}},
		{"text-cdata-alternating", "16 sessions streaming a body of alternating one-byte text and CDATA sections", func(e *env) (string, error) {
			return streamed(e, 16, "<message to='x@"+e.domain+"'><body>", func(int64) string { return strings.Repeat("a<![CDATA[b]]>", 2000) })
		}},
		{"many-attrs", "16 sessions each sending an element with endless attributes", func(e *env) (string, error) {
			return streamed(e, 16, "<message to='x@"+e.domain+"'", func(k int64) string {
				var b strings.Builder
				for i := range 1000 {
					b.WriteString(" a" + strconv.FormatInt(k*1000+int64(i), 36) + "='v'")
				}
				return b.String()
			})
		}},
		{"many-namespaces", "16 sessions each sending elements declaring a new namespace each, nested", func(e *env) (string, error) {
			return streamed(e, 16, "<message to='x@"+e.domain+"'>", func(k int64) string {
				var b strings.Builder
				for i := range 200 {
					n := strconv.FormatInt(k*200+int64(i), 36)
					b.WriteString("<x" + n + ":e xmlns:x" + n + "='urn:ns:" + strings.Repeat(n, 20) + "'/>")
				}
				return b.String()
			})
		}},
		{"huge-jid", "32 sessions sending stanzas to JIDs of 3 KB parts and to 1 MB attribute values", func(e *env) (string, error) {
			local := strings.Repeat("l", 1023)
			dom := strings.Repeat("d", 1023)
			res := strings.Repeat("r", 1023)
			big := strings.Repeat("j", 1<<20)
			return looped(e, 32, 32, func(s *session, k int64) error {
				if k%20 == 0 {
					return s.send("<message to='" + big + "@" + e.domain + "'><body>x</body></message>")
				}
				return s.send("<message to='" + local + "@" + dom + "/" + res + "'><body>x</body></message><presence to='" + local + "@" + e.domain + "/" + res + "' type='subscribe'/><iq type='get' id='j" + strconv.FormatInt(k, 10) + "' to='" + local + "@" + e.muc + "/" + res + "'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>")
			})
		}},
		{"partial-stanza-hold-text", "1,000 sessions over 250 addresses each sending 240 KB of a message body, then holding the stanza open", func(e *env) (string, error) {
			return partialHold(e, 1000, "<message to='x@"+e.domain+"'><body>", strings.Repeat("lorem ipsum ", 20000))
		}},
		{"partial-stanza-hold-elems", "1,000 sessions each sending a message with 4,900 attributed children, then holding it open", func(e *env) (string, error) {
			var b strings.Builder
			for i := range 4900 {
				b.WriteString("<b xmlns='urn:x:" + strconv.Itoa(i%10) + "' a='1' c='2'/>")
			}
			return partialHold(e, 1000, "<message to='x@"+e.domain+"'>", b.String())
		}},
		{"invalid-utf8", "sessions sending invalid UTF-8 and forbidden characters in text and attributes, reconnecting", func(e *env) (string, error) {
			bad := []string{"<message to='x@" + e.domain + "'><body>\xff\xfe\xc0\x80</body></message>",
				"<message to='\xed\xa0\x80@" + e.domain + "'/>", "<message><body>\x01\x02\x1b</body></message>", "<message><body>&#0;&#xD800;</body></message>", "<mes\x00sage/>"}
			return looped(e, 32, 64, func(s *session, k int64) error {
				return s.send(bad[k%int64(len(bad))])
			})
		}},
		{"entity-in-stanza", "sessions sending undefined entities, huge character references and a DOCTYPE inside the stream", func(e *env) (string, error) {
			bad := []string{"<message><body>&lol9;</body></message>", "<message><body>&#99999999999999999999;</body></message>",
				"<!DOCTYPE x [<!ENTITY a '" + strings.Repeat("a", 10000) + "'>]><message><body>&a;</body></message>", "<?pi x?><message/>", "<!-- " + strings.Repeat("c", 100000) + " -->"}
			return looped(e, 32, 64, func(s *session, k int64) error {
				return s.send(bad[k%int64(len(bad))])
			})
		}},
	}
}

// streamed has n sessions (over n addresses) write prefix and then chunk
// forever into one stanza that never ends; a session the server cuts
// logs in again.
func streamed(e *env, n int, prefix string, chunk func(k int64) string) (string, error) {
	var cut atomic.Int64
	var k atomic.Int64
	e.parallel(n, func(i int) {
		for !e.done() {
			s, err := e.login(ip(i), "x"+strconv.Itoa(i), "", false)
			if err != nil {
				time.Sleep(50 * time.Millisecond)
				continue
			}
			s.drain()
			if err := s.send(prefix); err != nil {
				s.nc.Close()
				continue
			}
			for !e.done() {
				c := chunk(k.Add(1))
				if err := s.send(c); err != nil {
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

// looped has n sessions over nIPs addresses each call f in a loop (with
// k counting calls); a session that fails logs in again.
func looped(e *env, n, nIPs int, f func(s *session, k int64) error) (string, error) {
	var k atomic.Int64
	var cut atomic.Int64
	e.parallel(n, func(i int) {
		for !e.done() {
			s, err := e.login(ip(i%nIPs), "l"+strconv.Itoa(i), "", false)
			if err != nil {
				time.Sleep(50 * time.Millisecond)
				continue
			}
			s.drain()
			for !e.done() {
				if err := f(s, k.Add(1)); err != nil {
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

// partialHold logs n sessions in over 250 addresses; each writes prefix
// and body, the start of one stanza, and then holds it unfinished (the
// server keeps what it parsed until its stanza timeout).
func partialHold(e *env, n int, prefix, body string) (string, error) {
	var held atomic.Int64
	var next atomic.Int64
	e.parallel(32, func(int) {
		for !e.done() {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			s, err := e.login(ip(i%250), "ph"+strconv.Itoa(i%500), "p"+strconv.Itoa(i), false)
			if err != nil {
				continue
			}
			s.drain()
			if s.send(prefix+body) == nil {
				held.Add(1)
			}
		}
	})
	note := e.counts() + fmt.Sprintf(", %d stanzas held open", held.Load())
	e.hold()
	return note, nil
}
