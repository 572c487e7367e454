package c2s

import (
	"encoding/xml"
	"io"
	"net"
	"strings"
	"testing"

	"mellium.im/xmpp/jid"

	"github.com/muctest/muctest/xmlnode"
)

// TestAdopt drives the resumption API with a pipelined stream: an element
// handler before bind answers a refused attempt with SendElement (written
// at once), then adopts an existing session for the next one: no bind
// happens, the stanzas that follow go to the adopting Handler stamped
// with the adopted JID, SendRaw's bytes come out in order, and the end of
// the stream is that Handler's Close.
func TestAdopt(t *testing.T) {
	server, client := net.Pipe()
	host := &fakeHost{}
	adopted := &fakeHost{}
	full := jid.MustParse("user@localhost/kept")
	attempts := 0
	cfg := &Config{Domain: "localhost", Auth: fakeAuth{}, Host: host,
		Limits: Limits{MaxStanzaBytes: 4096, MaxDepth: 10, MaxAttrs: 10},
		Elements: []ElementHandler{{
			Name: xml.Name{Space: "urn:test", Local: "resume"}, Stage: Authenticated,
			Handle: func(s *Session, el *xmlnode.Element) error {
				if s.User() != "user" || s.Handler() != nil {
					t.Errorf("before adoption: user %q, handler %v", s.User(), s.Handler())
				}
				if attempts++; attempts == 1 {
					return s.SendElement(xmlnode.New("urn:test", "failed"))
				}
				s.Adopt(full, adopted)
				if !s.SendRaw([]byte("<resumed xmlns='urn:test'/>")) {
					t.Error("SendRaw refused on an adopted session")
				}
				return s.SendElement(xmlnode.New("urn:test", "after"))
			},
		}},
	}
	s := New(server, cfg)
	go s.Run()
	t.Cleanup(func() { client.Close(); <-s.Done() })
	go io.WriteString(client, header+
		`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AHVzZXIAcGFzcw==</auth>`+header+
		`<resume xmlns='urn:test'/><resume xmlns='urn:test'/>`+
		`<message to='x@localhost'><body>hi</body></message></stream:stream>`)
	out, _ := io.ReadAll(client)
	<-s.Done()
	got := string(out)
	order := []string{`<failed xmlns="urn:test"`, `<resumed xmlns='urn:test'/>`, `<after xmlns="urn:test"`, "</stream:stream>"}
	at := 0
	for _, w := range order {
		i := strings.Index(got[at:], w)
		if i < 0 {
			t.Fatalf("output %s lacks %s after byte %d", got, w, at)
		}
		at += i
	}
	if strings.Contains(got, "<jid>") || len(host.sessions) != 0 {
		t.Fatalf("a resource was bound: %s", got)
	}
	if len(adopted.stanzas) != 1 || adopted.stanzas[0].Attrib("from") != full.String() {
		t.Fatalf("adopting handler got %v", adopted.stanzas)
	}
	if len(adopted.closed) != 1 || len(host.closed) != 0 {
		t.Fatalf("closes: adopted %q, host %q", adopted.closed, host.closed)
	}
	if !s.JID().Equal(full) {
		t.Fatalf("JID %s", s.JID())
	}
}

// TestSetHandler: a bound session's element handler moves its stanzas
// and its end to another Handler.
func TestSetHandler(t *testing.T) {
	server, client := net.Pipe()
	host := &fakeHost{}
	other := &fakeHost{}
	cfg := &Config{Domain: "localhost", Auth: fakeAuth{}, Host: host,
		Limits: Limits{MaxStanzaBytes: 4096, MaxDepth: 10, MaxAttrs: 10},
		Elements: []ElementHandler{{
			Name: xml.Name{Space: "urn:test", Local: "switch"}, Stage: Bound,
			Handle: func(s *Session, _ *xmlnode.Element) error {
				if s.Handler() != Handler(host) {
					t.Errorf("Handler() = %v, want the host's", s.Handler())
				}
				s.SetHandler(other)
				return nil
			},
		}},
	}
	s := New(server, cfg)
	go s.Run()
	t.Cleanup(func() { client.Close(); <-s.Done() })
	go io.WriteString(client, login+`<message to='a@localhost'/><switch xmlns='urn:test'/><message to='b@localhost'/></stream:stream>`)
	_, _ = io.ReadAll(client)
	<-s.Done()
	if len(host.stanzas) != 1 || len(other.stanzas) != 1 || other.stanzas[0].Attrib("to") != "b@localhost" {
		t.Fatalf("host got %v, other %v", host.stanzas, other.stanzas)
	}
	if len(other.closed) != 1 || len(host.closed) != 0 {
		t.Fatalf("closes: other %q, host %q", other.closed, host.closed)
	}
}
