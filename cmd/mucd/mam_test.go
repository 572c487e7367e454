package main

import (
	"context"
	"testing"
	"time"

	"github.com/muctest/muctest/client"
	"github.com/muctest/muctest/xmlnode"
)

// TestArchivePolicy checks mucd's XEP-0313 default: a fresh account's
// first message is archived, as with Prosody's default policy (slixmpp's
// MAM integration test sends before it ever queries); with
// -mam-smart-enable the archive starts only once the client used MAM, as
// in Prosody's scansion configuration.
func TestArchivePolicy(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flags []string
		want  int // results of the first query
	}{
		{"default", nil, 1},
		{"smart enable", []string{"-mam-smart-enable"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			probe, done := start(t, ctx, append([]string{"-addr", "127.0.0.1:0", "-no-tls"}, tc.flags...)...)
			alice, bob := login(t, ctx, probe, "alice", "mam"), login(t, ctx, probe, "bob", "mam")
			send := func(c *client.Conn, s string) {
				if err := c.Send(xmlnode.MustParse(s)); err != nil {
					t.Fatal(err)
				}
			}
			send(alice, `<message xmlns="jabber:client" to="bob@localhost/mam" type="chat" id="m1"><body>first</body></message>`)
			if st, err := bob.RecvContext(ctx); err != nil || st.Name.Local != "message" {
				t.Fatalf("bob got %v, %v", st, err)
			}
			send(alice, `<iq xmlns="jabber:client" type="set" id="q"><query xmlns="urn:xmpp:mam:2" queryid="q"/></iq>`)
			results := 0
			for {
				st, err := alice.RecvContext(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if st.Name.Local == "iq" {
					if st.Attrib("type") != "result" {
						t.Fatalf("query: %s", st)
					}
					break
				}
				if st.Child("urn:xmpp:mam:2", "result") != nil {
					results++
				}
			}
			if results != tc.want {
				t.Errorf("the first query found %d messages, want %d", results, tc.want)
			}
			stop(t, cancel, done)
		})
	}
}
