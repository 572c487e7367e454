package external

import (
	"strings"
	"testing"
	"time"
)

// TestHandshakeBounds checks what anyone who reaches the component port
// can make the server hold before proving it knows a secret: a header or
// a handshake past MaxHandshakeBytes ends the stream at once, while an
// authenticated component may still send stanzas up to MaxStanzaBytes.
// Without the bound the server buffered up to MaxStanzaBytes of each and
// waited for the handshake timeout, the stream error the cases would get.
func TestHandshakeBounds(t *testing.T) {
	lim := Limits{MaxHandshakeBytes: 1024, MaxStanzaBytes: 64 << 10, HandshakeTimeout: 10 * time.Second}
	big := strings.Repeat("a", 4096)
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, addr string) *fakeComponent
	}{
		{"header", func(t *testing.T, addr string) *fakeComponent {
			c := dial(t, addr)
			c.write("<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='bot.localhost' x='" + big)
			return c
		}},
		{"handshake", func(t *testing.T, addr string) *fakeComponent {
			c := dial(t, addr)
			c.open(botDomain)
			c.write("<handshake>" + big)
			return c
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, addr, _ := startServer(t, lim)
			c := tc.run(t, addr)
			if got := c.streamError(); got != "policy-violation" {
				t.Errorf("stream error %s, want policy-violation", got)
			}
		})
	}
	t.Run("stanza after the handshake", func(t *testing.T) {
		_, addr, rt := startServer(t, lim)
		c := connect(t, addr, botDomain, botSecret)
		c.write("<message from='bot.localhost' to='a@localhost'><body>" + big + "</body></message>")
		if st := rt.wait(t); st.ChildText("jabber:client", "body") != big {
			t.Errorf("routed %.100s", st)
		}
	})
}

// TestConnectionCaps checks that the component port refuses connections
// over MaxConnsPerIP and MaxConns with a stream error instead of holding
// each until its handshake times out, and that a connected component
// keeps working meanwhile.
func TestConnectionCaps(t *testing.T) {
	for _, tc := range []struct {
		name string
		lim  Limits
		want string
	}{
		{"per address", Limits{MaxConnsPerIP: 3, HandshakeTimeout: 10 * time.Second}, "policy-violation"},
		{"over all", Limits{MaxConns: 3, MaxConnsPerIP: -1, HandshakeTimeout: 10 * time.Second}, "resource-constraint"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, addr, rt := startServer(t, tc.lim)
			c := connect(t, addr, botDomain, botSecret)
			dial(t, addr).open("other.localhost")
			dial(t, addr).open("other.localhost")
			if got := dial(t, addr).streamError(); got != tc.want {
				t.Errorf("the connection over the cap: stream error %s, want %s", got, tc.want)
			}
			c.write("<message from='bot.localhost' to='a@localhost'/>")
			rt.wait(t)
			if !s.Connected(botDomain) {
				t.Error("the component was disconnected")
			}
		})
	}
}
