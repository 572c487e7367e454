package c2s

import (
	"io"
	"strings"
	"testing"
)

// TestPipelinedLoginOneWrite checks that a client that sends its whole
// login at once gets every negotiation answer and the bind result in one
// write (net.Pipe hands each write to one read): the server holds its
// negotiation writes until it would wait for the client, and through the
// bind, whose result goes out behind them.
func TestPipelinedLoginOneWrite(t *testing.T) {
	_, client, _, _ := newTestSession(t, 0)
	go io.WriteString(client, login)
	buf := make([]byte, 64<<10)
	n, err := client.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	first := string(buf[:n])
	if strings.Count(first, "<stream:features>") != 2 || !strings.Contains(first, "<success") || !strings.HasSuffix(first, "<jid>user@localhost/r</jid></bind></iq>") {
		t.Fatalf("first write %q, want header, features, success, header, features and the bind result", first)
	}
}

// TestStepwiseLoginAnswered checks the other side of holding: a client
// that waits for each answer before it sends the next step gets it (the
// held writes go out before the server waits to read), or this test hangs.
func TestStepwiseLoginAnswered(t *testing.T) {
	_, client, _, _ := newTestSession(t, 0)
	buf := make([]byte, 64<<10)
	steps := []struct{ send, want string }{
		{header, "<mechanism>PLAIN</mechanism>"},
		{`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AHVzZXIAcGFzcw==</auth>`, "<success"},
		{header, "urn:ietf:params:xml:ns:xmpp-bind"},
		{`<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>r</resource></bind></iq>`, "<jid>user@localhost/r</jid>"},
	}
	for _, st := range steps {
		go io.WriteString(client, st.send)
		var got string
		for !strings.Contains(got, st.want) {
			n, err := client.Read(buf)
			if err != nil {
				t.Fatalf("after %q: %v (got %q)", st.send, err, got)
			}
			got += string(buf[:n])
		}
	}
}
