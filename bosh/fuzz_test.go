package bosh

import (
	"bytes"
	"syscall"
	"testing"
)

// FuzzParseBody: ParseBody never panics, and every payload it returns is
// a slice of the input holding one element, start to end.
func FuzzParseBody(f *testing.F) {
	f.Add([]byte(`<body xmlns="http://jabber.org/protocol/httpbind" rid="1" sid="s" xmpp:restart="true" xmlns:xmpp="urn:xmpp:xbosh"/>`))
	f.Add([]byte(`<body xmlns="http://jabber.org/protocol/httpbind" rid="2" sid="s"><message xmlns="jabber:client"><body>hi</body></message> <presence xmlns="jabber:client"/></body>`))
	f.Add([]byte(`<?xml version="1.0"?><body xmlns="http://jabber.org/protocol/httpbind" rid="9007199254740991" wait="60" hold="1" to="localhost" xml:lang="en"/>`))
	f.Add([]byte(`<body xmlns="http://jabber.org/protocol/httpbind" rid="x"/>`))
	f.Add([]byte(`hello`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseBody(data)
		if err != nil {
			return
		}
		if b.RID < 0 || b.Wait < -1 || b.Hold < -1 {
			t.Fatalf("negative values: %+v", b)
		}
		for _, p := range b.Payload {
			if !bytes.Contains(data, p) || len(p) < 3 || p[0] != '<' || p[len(p)-1] != '>' {
				t.Fatalf("payload %q of %q", p, data)
			}
		}
	})
}

// TestNotPollable: a BOSH session's stream must never park in the netpoll
// poller; c2s parks only connections that are a syscall.Conn.
func TestNotPollable(t *testing.T) {
	if _, ok := any(&conn{}).(syscall.Conn); ok {
		t.Fatal("the BOSH conn is a syscall.Conn: c2s would park its sessions in the poller")
	}
}
