package hostile_test

import (
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/muctest/muctest/c2s"
	"github.com/muctest/muctest/server"
)

// Stage is how far the attacker gets before attacking.
type stage int

const (
	beforeHeader stage = iota // nothing sent yet: the attack is the stream header
	beforeAuth                // stream open, features read
	afterBind                 // authenticated and bound
)

func (s stage) String() string {
	return [...]string{"before-header", "before-auth", "after-bind"}[s]
}

// TestStreamErrors sends input that must end the stream with a specific
// stream error (RFC 6120 section 4.9.3), at every stage where it can arrive.
func TestStreamErrors(t *testing.T) {
	t.Parallel() // a server of its own, nothing process-wide measured (doc.go)
	// Twice the largest stanza the server takes (c2s.Limits.MaxStanzaBytes
	// once bound, far more than MaxUnauthedStanzaBytes before): past the
	// limit at every stage. A server without the limit would take the
	// stanza (or the whitespace) and send no stream error, whatever its
	// size past the limit (10 MB inputs were three quarters of the test's CPU).
	const over = 2 * c2s.DefaultMaxStanzaBytes
	big := "<message to='bob@localhost'><body>" + strings.Repeat("A", over) + "</body></message>"
	bigAttr := "<message to='bob@localhost' x='" + strings.Repeat("A", over) + "'/>"
	var manyAttrs strings.Builder
	manyAttrs.WriteString("<message to='bob@localhost'")
	for i := range 10000 {
		manyAttrs.WriteString(" a" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + "" + itoa(i) + "='1'")
	}
	manyAttrs.WriteString("/>")

	type tc struct {
		name   string
		stages []stage
		input  string
		want   string
	}
	anyTime := []stage{beforeAuth, afterBind}
	cases := []tc{
		// The header itself.
		{"doctype-before-header", []stage{beforeHeader}, `<?xml version='1.0'?><!DOCTYPE stream:stream [<!ENTITY x 'y'>]>` + header[len(`<?xml version='1.0'?>`):], "restricted-xml"},
		{"comment-before-header", []stage{beforeHeader}, `<!-- hi -->` + header, "restricted-xml"},
		{"pi-before-header", []stage{beforeHeader}, `<?php echo 1; ?>` + header, "restricted-xml"},
		{"http-request", []stage{beforeHeader}, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", "not-well-formed"},
		{"wrong-stream-namespace", []stage{beforeHeader}, `<stream:stream xmlns='jabber:client' xmlns:stream='urn:wrong' to='localhost' version='1.0'>`, "invalid-namespace"},
		{"wrong-content-namespace", []stage{beforeHeader}, `<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>`, "invalid-namespace"},
		{"unknown-host", []stage{beforeHeader}, `<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.org' version='1.0'>`, "host-unknown"},
		{"malformed-host", []stage{beforeHeader}, `<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='@@/' version='1.0'>`, "host-unknown"},

		// XML that is not well-formed (RFC 6120 section 4.9.3.13).
		{"mismatched-tag", anyTime, "<message><body>x</message>", "not-well-formed"},
		{"undefined-entity", anyTime, "<message><body>&x;</body></message>", "not-well-formed"},
		{"bad-utf8", anyTime, "<message><body>\xff\xfe</body></message>", "not-well-formed"},
		{"text-between-stanzas", anyTime, "hello<message/>", "not-well-formed"},
		{"text-without-markup", anyTime, "hello", "not-well-formed"},

		// Prefixes with no namespace declaration (RFC 6120 section 4.9.3.2).
		{"undeclared-stanza-prefix", anyTime, "<x:message to='bob@localhost'/>", "bad-namespace-prefix"},
		{"undeclared-child-prefix", anyTime, "<message to='bob@localhost'><x:body>hi</x:body></message>", "bad-namespace-prefix"},
		{"undeclared-attribute-prefix", anyTime, "<message to='bob@localhost' x:type='chat'/>", "bad-namespace-prefix"},
		// Prefixed names whose local part is not a name by itself: echoed
		// to a recipient as <0 xmlns='urn:x'/>, they would break its stream.
		{"digit-local-name", anyTime, "<message to='bob@localhost'><body>hi</body><p:0 xmlns:p='urn:x'/></message>", "not-well-formed"},
		{"dash-local-name", anyTime, "<message to='bob@localhost'><p:-a xmlns:p='urn:x'/></message>", "not-well-formed"},
		{"digit-local-attribute", anyTime, "<message to='bob@localhost' xmlns:p='urn:x' p:1='v'/>", "not-well-formed"},
		{"bad-attribute", anyTime, "<message to=bob/>", "not-well-formed"},
		// Two attributes of one name (XML 1.0's Unique Att Spec): the router
		// would read one "to" and the recipient another.
		{"duplicate-attribute", anyTime, "<message to='bob@localhost' to='admin@localhost'><body>hi</body></message>", "not-well-formed"},
		{"duplicate-namespaced-attribute", anyTime, "<message to='bob@localhost' xmlns:p='urn:x' xmlns:q='urn:x' p:a='1' q:a='2'/>", "not-well-formed"},

		// XML that XMPP restricts (RFC 6120 section 11.1): no DTDs, entity
		// declarations, comments or processing instructions.
		{"doctype", anyTime, "<!DOCTYPE message>", "restricted-xml"},
		{"entity-declaration", anyTime, "<!ENTITY lol 'lol'>", "restricted-xml"},
		{"billion-laughs", anyTime, "<!DOCTYPE lolz [<!ENTITY lol 'lol'><!ENTITY lol2 '&lol;&lol;&lol;&lol;'>]><message><body>&lol2;</body></message>", "restricted-xml"},
		{"comment-in-stanza", anyTime, "<message><body>x</body><!-- hi --></message>", "restricted-xml"},
		{"comment-between-stanzas", anyTime, "<!-- hi -->", "restricted-xml"},
		{"pi-in-stanza", anyTime, "<message><?pi x?></message>", "restricted-xml"},

		// Resource exhaustion: the limits of c2s.Limits.
		{"oversized-stanza", anyTime, big, "policy-violation"},
		{"oversized-attribute", anyTime, bigAttr, "policy-violation"},
		{"oversized-whitespace", anyTime, strings.Repeat(" ", over), "policy-violation"},
		{"10000-deep", anyTime, deep(10000), "policy-violation"},
		{"10000-attributes", anyTime, manyAttrs.String(), "policy-violation"},

		// Stanzas before authentication (RFC 6120 section 6.4.1 via 4.9.3.21).
		{"message-before-auth", []stage{beforeAuth}, "<message to='bob@localhost'><body>hi</body></message>", "not-authorized"},
		{"presence-before-auth", []stage{beforeAuth}, "<presence/>", "not-authorized"},
		{"iq-before-auth", []stage{beforeAuth}, "<iq type='get' id='1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>", "not-authorized"},
		{"bind-before-auth", []stage{beforeAuth}, "<iq type='set' id='1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>", "not-authorized"},

		// Top-level elements that are not stanzas (RFC 6120 section 4.9.3.23).
		{"unknown-top-level", []stage{afterBind}, "<foo xmlns='urn:example:foo'/>", "unsupported-stanza-type"},
		{"message-in-other-namespace", []stage{afterBind}, "<message xmlns='jabber:server' to='bob@localhost'/>", "unsupported-stanza-type"},
	}
	e := newEnv(t, server.Config{})
	for _, c := range cases {
		for _, st := range c.stages {
			t.Run(c.name+"/"+st.String(), func(t *testing.T) {
				e := e.in(t)
				r := dialRaw(t, e.srv)
				switch st {
				case beforeHeader:
					if len(c.input) > 1<<16 {
						r.sendBackground([]byte(c.input))
					} else {
						r.Send(c.input)
					}
					r.ReadHeader()
				case beforeAuth:
					r.open()
				case afterBind:
					r.login("mallory")
				}
				if st != beforeHeader {
					if len(c.input) > 1<<16 {
						r.sendBackground([]byte(c.input))
					} else {
						r.Send(c.input)
					}
				}
				r.wantStreamError(c.want)
				e.checkWitnesses()
			})
		}
	}
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

// TestBrokenTLS answers the server's <proceed/> with bytes that are not a
// TLS handshake, and also hangs up in the middle of one: the server drops
// the connection (there is no stream left to carry an error) and nobody
// else notices.
func TestBrokenTLS(t *testing.T) {
	t.Parallel() // a server of its own, nothing process-wide measured (doc.go)
	e := newEnv(t, server.Config{})
	for _, garbage := range []string{"<message/>", "\x16\x03\x01\x00\x05hello", ""} {
		r := dialRaw(t, e.srv)
		r.open()
		r.Send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
		if p := r.Next(); p.Name.Local != "proceed" {
			t.Fatalf("want proceed, got %s", p)
		}
		if garbage == "" {
			_ = r.Conn.Close()
		} else {
			r.Send(garbage)
			// No CloseWrite: the server must give up on its own.
			buf := make([]byte, 4096)
			for {
				if _, err := r.Conn.Read(buf); err != nil {
					var ne net.Error
					if errors.As(err, &ne) && ne.Timeout() {
						t.Fatalf("%q: the server kept the connection: %v", garbage, err)
					}
					break
				}
			}
		}
		e.checkWitnesses()
	}
}
