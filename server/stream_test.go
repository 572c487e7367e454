package server_test

import (
	"context"
	"crypto/tls"
	"encoding/xml"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/c2s"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
	"github.com/muctest/muctest/xmlnode"
)

// expectStreamError reads until a stream error and checks its condition,
// then checks that the server closes the stream.
func (c *rawClient) expectStreamError(cond string) {
	c.t.Helper()
	for {
		tok, err := c.Dec.Token()
		if err != nil {
			c.t.Fatalf("want stream error %s, got %v", cond, err)
		}
		start, ok := tok.(xml.StartElement)
		if !ok || start.Name.Local == "stream" {
			continue // the server's stream header
		}
		el, err := xmlnode.Read(c.Dec, start, xmlnode.Limits{})
		if err != nil {
			c.t.Fatalf("want stream error %s, got %v", cond, err)
		}
		if el.Name.Space == c2s.NSStream && el.Name.Local == "error" {
			if el.Child(c2s.NSStreams, cond) == nil {
				c.t.Fatalf("got %s, want stream error %s", el, cond)
			}
			break
		}
	}
	if el, err := c.TryNext(); err == nil {
		c.t.Fatalf("after the stream error: got %s, want the stream closed", el)
	}
}

func TestStreamErrors(t *testing.T) {
	srv := servertest.New(t, server.Config{Limits: c2s.Limits{MaxStanzaBytes: 2048, MaxDepth: 8, MaxAttrs: 8}})
	tests := []struct {
		name   string
		header string // "" means a normal login first
		send   string
		cond   string
	}{
		{"invalid namespace", `<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>`, "", "invalid-namespace"},
		{"bad stream namespace", `<stream:stream xmlns='jabber:client' xmlns:stream='urn:example' to='localhost' version='1.0'>`, "", "invalid-namespace"},
		{"host unknown", `<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.org' version='1.0'>`, "", "host-unknown"},
		{"doctype", `<!DOCTYPE foo><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>`, "", "restricted-xml"},
		{"not well formed", "", `<message><body></message>`, "not-well-formed"},
		{"undefined entity", "", `<message><body>&bogus;</body></message>`, "not-well-formed"},
		{"comment", "", `<!-- hello -->`, "restricted-xml"},
		{"processing instruction", "", `<?foo bar?>`, "restricted-xml"},
		{"comment inside stanza", "", `<message><!-- x --></message>`, "restricted-xml"},
		{"too large", "", `<message><body>` + strings.Repeat("x", 4096) + `</body></message>`, "policy-violation"},
		{"too deep", "", strings.Repeat("<a>", 20) + strings.Repeat("</a>", 20), "policy-violation"},
		{"too many attributes", "", `<message a='1' b='2' c='3' d='4' e='5' f='6' g='7' h='8' i='9'/>`, "policy-violation"},
		{"unsupported stanza", "", `<foo xmlns='jabber:client'/>`, "unsupported-stanza-type"},
		{"other namespace", "", `<message xmlns='urn:example'/>`, "unsupported-stanza-type"},
		{"text between stanzas", "", `hello<message/>`, "not-well-formed"},
		{"stream restart mid-stream", "", strings.TrimPrefix(servertest.StreamHeader, "<?xml version='1.0'?>"), "unsupported-stanza-type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw(t, srv)
			if tc.header == "" {
				c.login("user", "")
				c.Send(tc.send)
			} else {
				c.Send(tc.header)
			}
			c.expectStreamError(tc.cond)
		})
	}
}

func TestClosingHandshake(t *testing.T) {
	srv := servertest.New(t, server.Config{})
	c := dialRaw(t, srv).login("user", "")
	c.Send("</stream:stream>")
	if el, err := c.TryNext(); err == nil {
		t.Fatalf("got %s, want </stream:stream>", el)
	}
	idle(t, srv)
}

func TestResourceConflict(t *testing.T) {
	srv := servertest.New(t, server.Config{})
	watcher := dialRaw(t, srv).login("user", "watcher")
	watcher.Send("<presence/>")
	watcher.expect(`<presence from="` + watcher.JID + `"/>`)

	old := dialRaw(t, srv).login("user", "laptop")
	old.Send("<presence/>")
	old.expect(`<presence from="` + old.JID + `"/>`)
	old.expect(`<presence from="` + watcher.JID + `" to="` + old.JID + `"/>`)
	watcher.expect(`<presence from="` + old.JID + `" to="` + watcher.JID + `"/>`)

	// The same resource again: the new session wins, the old one gets a
	// conflict stream error and goes offline.
	newer := dialRaw(t, srv).login("user", "laptop")
	if newer.JID != old.JID {
		t.Fatalf("bound %s, want %s", newer.JID, old.JID)
	}
	old.expectStreamError("conflict")
	watcher.expect(`<presence from="` + old.JID + `" to="` + watcher.JID + `" type="unavailable"><status>Disconnected: Replaced by new connection</status></presence>`)
	newer.Send(`<message to="` + watcher.JID + `"><body>still here</body></message>`)
	watcher.expect(`<message from="` + newer.JID + `" to="` + watcher.JID + `"><body>still here</body></message>`)
}

func TestGeneratedResourcesDiffer(t *testing.T) {
	srv := servertest.New(t, server.Config{})
	a := dialRaw(t, srv).login("user", "")
	b := dialRaw(t, srv).login("user", "")
	if a.JID == b.JID || !strings.HasPrefix(a.JID, "user@localhost/") {
		t.Fatalf("generated %s and %s", a.JID, b.JID)
	}
}

func TestRequireTLS(t *testing.T) {
	srv := servertest.New(t, server.Config{RequireTLS: true})
	c := dialRaw(t, srv)
	f := c.Open(servertest.StreamHeader)
	if f.Child(c2s.NSTLS, "starttls") == nil || f.Child(c2s.NSTLS, "starttls").Child("", "required") == nil ||
		f.Child(c2s.NSSASL, "mechanisms") != nil {
		t.Fatalf("features %s: want only required starttls", f)
	}
	c.Send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
	if p := c.Next(); p.Name.Local != "proceed" {
		t.Fatalf("got %s, want proceed", p)
	}
	tc := tls.Client(c.Conn, &tls.Config{ServerName: "localhost", InsecureSkipVerify: true})
	if err := tc.Handshake(); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	c.Conn = tc
	c.Restart()
	f = c.Open(servertest.StreamHeader)
	if f.Child(c2s.NSSASL, "mechanisms") == nil || f.Child(c2s.NSTLS, "starttls") != nil {
		t.Fatalf("features after TLS %s: want mechanisms only", f)
	}
	if r := c.Plain("user", "pw"); r.Name.Local != "success" {
		t.Fatalf("auth after TLS: %s", r)
	}

	// Without TLS, authenticating is refused.
	plain := dialRaw(t, srv)
	plain.Open(servertest.StreamHeader)
	plain.Send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AHVzZXIAcHc=</auth>")
	plain.expectStreamError("policy-violation")
}

func TestNoTLS(t *testing.T) {
	srv := servertest.New(t, server.Config{NoTLS: true})
	f := dialRaw(t, srv).Open(servertest.StreamHeader)
	if f.Child(c2s.NSTLS, "starttls") != nil {
		t.Fatalf("features %s offer STARTTLS with NoTLS", f)
	}
}

func TestSASLFailures(t *testing.T) {
	srv := servertest.New(t, server.Config{Accounts: map[string]string{"alice": "secret"}})
	tests := []struct{ send, cond string }{
		{"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='X-UNKNOWN'/>", "invalid-mechanism"},
		{"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>!!!</auth>", "incorrect-encoding"},
		{"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGFsaWNlAHdyb25n</auth>", "not-authorized"},
		{"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>bixuPWFsaWNl</auth>", "not-authorized"},
	}
	c := dialRaw(t, srv)
	c.Open(servertest.StreamHeader)
	for _, tc := range tests {
		r := c.next2(tc.send)
		if r.Name.Local != "failure" || r.Child("", tc.cond) == nil {
			t.Errorf("%s: got %s, want failure %s", tc.send, r, tc.cond)
		}
	}
	// Aborting a challenge.
	r := c.next2("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'/>")
	if r.Name.Local != "challenge" {
		t.Fatalf("got %s, want an empty challenge", r)
	}
	if r := c.next2("<abort xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"); r.Child("", "aborted") == nil {
		t.Fatalf("got %s, want aborted", r)
	}
	// The connection survived all of that.
	if r := c.Plain("alice", "secret"); r.Name.Local != "success" {
		t.Fatalf("got %s, want success", r)
	}
}

func (c *rawClient) next2(send string) *xmlnode.Element {
	c.t.Helper()
	c.Send(send)
	return c.Next()
}

func TestCloseShutsDownSessions(t *testing.T) {
	srv, done := startServer(t, server.Config{})
	a := dialRaw(t, srv).login("a", "")
	b := dialRaw(t, srv)
	b.Open(servertest.StreamHeader) // not yet authenticated
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve after Close: %v", err)
	}
	a.expectStreamError("system-shutdown")
	if el, err := b.TryNext(); err == nil {
		t.Fatalf("unauthenticated client got %s, want the connection closed", el)
	}
	ctx := context.Background()
	if err := srv.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestNegotiationTimeout(t *testing.T) {
	srv := servertest.New(t, server.Config{Limits: c2s.Limits{NegotiationTimeout: 50 * time.Millisecond}})
	c := dialRaw(t, srv)
	c.Send(servertest.StreamHeader)
	// Never authenticate: the server gives up and closes the connection.
	// What it wrote first is not looked at: on a loaded machine the 50 ms
	// may pass before it has answered the header. That a bound session
	// is not subject to the timeout is c2s's TestNegotiationTimeout, on a
	// fake clock (a login within 50 ms of real time failed here).
	var ne net.Error
	if _, err := io.Copy(io.Discard, c.Conn); errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the connection was not closed: %v", err)
	}
}

func TestMechanismsOffered(t *testing.T) {
	tests := []struct {
		name string
		cfg  server.Config
		want string
	}{
		{"any password", server.Config{}, "PLAIN"},
		{"fixed accounts", server.Config{Accounts: map[string]string{"a": "b"}}, "SCRAM-SHA-256,SCRAM-SHA-1,PLAIN"},
		{"explicit", server.Config{Mechanisms: []string{"SCRAM-SHA-1", "PLAIN"}}, "SCRAM-SHA-1,PLAIN"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := servertest.New(t, tc.cfg)
			f := dialRaw(t, srv).Open(servertest.StreamHeader)
			var got []string
			for _, m := range f.Child(c2s.NSSASL, "mechanisms").Elements() {
				got = append(got, m.Text())
			}
			if strings.Join(got, ",") != tc.want {
				t.Fatalf("offered %v, want %s", got, tc.want)
			}
		})
	}
	// A mechanism that is not offered is refused.
	srv := servertest.New(t, server.Config{})
	c := dialRaw(t, srv)
	c.Open(servertest.StreamHeader)
	if r := c.next2("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>biwsbj1hLHI9YWJj</auth>"); r.Child("", "invalid-mechanism") == nil {
		t.Fatalf("got %s, want invalid-mechanism", r)
	}
}
