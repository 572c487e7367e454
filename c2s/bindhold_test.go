package c2s

import (
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"mellium.im/xmpp/jid"

	"github.com/muctest/muctest/xmlnode"
)

// refusingHost refuses the first refuse binds with BindRefused, or fails
// every bind with fail, and binds as fakeHost otherwise.
type refusingHost struct {
	fakeHost
	mu     sync.Mutex
	refuse int
	fail   error
}

func (h *refusingHost) Bind(s *Session, full jid.JID, reply *xmlnode.Element) (Handler, error) {
	h.mu.Lock()
	refuse := h.refuse > 0
	h.refuse--
	h.mu.Unlock()
	switch {
	case h.fail != nil:
		return nil, h.fail
	case refuse:
		return nil, &BindRefused{Type: "cancel", Condition: "resource-constraint"}
	}
	return h.fakeHost.Bind(s, full, reply)
}

func startHeldSession(t *testing.T, h Host) net.Conn {
	server, client := net.Pipe()
	cfg := &Config{Domain: "localhost", Auth: fakeAuth{}, Host: h,
		Limits: Limits{MaxStanzaBytes: 4096, MaxDepth: 10, MaxAttrs: 10}}
	s := New(server, cfg)
	go s.Run()
	t.Cleanup(func() {
		client.Close()
		<-s.Done()
	})
	return client
}

// TestBindRefusedHeld: a refused bind's error joins the held negotiation
// answers in one write (net.Pipe hands each write to one read), and the
// client's second bind is then answered.
func TestBindRefusedHeld(t *testing.T) {
	client := startHeldSession(t, &refusingHost{refuse: 1})
	go io.WriteString(client, login+`<iq type='set' id='b2'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>r</resource></bind></iq>`)
	buf := make([]byte, 64<<10)
	n, err := client.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	got := string(buf[:n])
	if strings.Count(got, "<stream:features>") != 2 || !strings.HasSuffix(got, `<resource-constraint xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`) || !strings.Contains(got, `id="b"`) {
		t.Fatalf("first write %q, want the negotiation and the refusal of b", got)
	}
	for !strings.Contains(got, `<iq type="result" id="b2">`) {
		n, err := client.Read(buf)
		if err != nil {
			t.Fatalf("%v after %q, want the result of b2", err, got)
		}
		got += string(buf[:n])
	}
}

// TestBindFailedHeld: a bind the host fails (not a refusal) ends the
// connection, after the held negotiation answers are written.
func TestBindFailedHeld(t *testing.T) {
	client := startHeldSession(t, &refusingHost{fail: errors.New("host gone")})
	go io.WriteString(client, login)
	b, err := io.ReadAll(client)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(b); strings.Count(got, "<stream:features>") != 2 || strings.Contains(got, "<iq") {
		t.Fatalf("read %q before the end, want the negotiation and no bind result", got)
	}
}
