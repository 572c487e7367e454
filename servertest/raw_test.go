package servertest_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
)

func TestRawPlain(t *testing.T) {
	srv := servertest.New(t, server.Config{Accounts: map[string]string{"alice": "secret"}})
	tests := []struct {
		name, user, pass string
		want             string // local name of the server's answer
	}{
		{"right password", "alice", "secret", "success"},
		{"wrong password", "alice", "guess", "failure"},
		{"unknown user", "mallory", "secret", "failure"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := servertest.DialRaw(t, srv)
			f := r.Open(servertest.StreamHeader)
			if f.Child("urn:ietf:params:xml:ns:xmpp-sasl", "mechanisms") == nil {
				t.Fatalf("features %s: want SASL mechanisms", f)
			}
			if a := r.Plain(tc.user, tc.pass); a.Name.Local != tc.want {
				t.Fatalf("got %s, want <%s/>", a, tc.want)
			}
		})
	}
}

func TestRawLoginAndClose(t *testing.T) {
	srv := servertest.New(t, server.Config{Accounts: map[string]string{"alice": "secret"}})
	r := servertest.DialRaw(t, srv).Login("alice", "secret", "desk")
	if r.JID != "alice@localhost/desk" {
		t.Fatalf("JID = %q, want alice@localhost/desk", r.JID)
	}
	other := servertest.DialRaw(t, srv).Login("alice", "secret", "")
	if !strings.HasPrefix(other.JID, "alice@localhost/") || other.JID == r.JID {
		t.Fatalf("generated resource: JID = %q", other.JID)
	}

	// A stanza round trip on the bound stream.
	r.Send(`<iq type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`)
	if el := r.Next(); el.Name.Local != "iq" || el.Attrib("type") != "result" || el.Attrib("id") != "p1" {
		t.Fatalf("ping: got %s", el)
	}

	// The server's </stream:stream> is io.EOF.
	other.Send("</stream:stream>")
	if el, err := other.TryNext(); !errors.Is(err, io.EOF) {
		t.Fatalf("after </stream:stream>: got %v, %v, want io.EOF", el, err)
	}
	r.Close()
}
