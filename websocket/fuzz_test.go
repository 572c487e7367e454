package websocket

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"syscall"
	"testing"
)

// FuzzFraming feeds one client message to the framing glue: the check of
// one element per message and the translation of <open/> and <close/>.
// Nothing may panic; a translated <open/> must be a start tag the c2s
// decoder can read, with the client's attributes escaped.
func FuzzFraming(f *testing.F) {
	f.Add(`<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="localhost" version="1.0" xml:lang="en"/>`)
	f.Add(`<close xmlns="urn:ietf:params:xml:ns:xmpp-framing"/>`)
	f.Add(`<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="a&quot;&lt;b"/>`)
	f.Add(`<message xmlns="jabber:client"><body><![CDATA[</message>]]></body></message>`)
	f.Add(`<presence/><presence/>`)
	f.Add(`<fr:open xmlns:fr="urn:ietf:params:xml:ns:xmpp-framing"/>`)
	f.Add(`<open xmlns="urn:ietf:params:xml:ns:xmpp-framing"/> x`)
	f.Fuzz(func(t *testing.T, msg string) {
		c := &Conn{}
		_ = c.check([]byte(msg))
		out, ok, err := translateFraming([]byte(msg))
		if err != nil || !ok || string(out) == "</stream:stream>" {
			return
		}
		d := xml.NewDecoder(strings.NewReader(string(out) + "</stream:stream>"))
		d.Strict = true
		var start *xml.StartElement
		for {
			tok, err := d.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("translated %q into %q: %v", msg, out, err)
			}
			if se, isStart := tok.(xml.StartElement); isStart && start == nil {
				start = &se
			}
		}
		if start == nil || start.Name.Local != "stream" || start.Name.Space != "http://etherx.jabber.org/streams" {
			t.Fatalf("translated %q into %q: not a stream header", msg, out)
		}
	})
}

// TestNotPollable: a session on a Conn must never park in the netpoll
// poller (its bytes are in the library, not in a socket the poller could
// watch); c2s parks only connections that are a syscall.Conn.
func TestNotPollable(t *testing.T) {
	if _, ok := any(&Conn{}).(syscall.Conn); ok {
		t.Fatal("websocket.Conn is a syscall.Conn: c2s would park its sessions in the poller")
	}
}
