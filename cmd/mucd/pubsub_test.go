package main

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/muctest/muctest/xmlnode"
)

// TestPubsubCreate checks -pubsub-create: by default every local account
// creates nodes on pubsub.<domain> (as ejabberd; aioxmpp's e2e tests
// create theirs), with "admins" only -admins do (as Prosody's test
// configuration), and anything else is refused at start.
func TestPubsubCreate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flags []string
		want  string // the type of the reply to alice's create
	}{
		{"default", nil, "result"},
		{"admins", []string{"-pubsub-create", "admins", "-admins", "root@localhost"}, "error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			probe, done := start(t, ctx, append([]string{"-addr", "127.0.0.1:0", "-no-tls"}, tc.flags...)...)
			alice := login(t, ctx, probe, "alice", "ps")
			if err := alice.Send(xmlnode.MustParse(`<iq xmlns="jabber:client" type="set" id="c" to="pubsub.localhost"><pubsub xmlns="http://jabber.org/protocol/pubsub"><create node="princely_musings"/></pubsub></iq>`)); err != nil {
				t.Fatal(err)
			}
			st, err := alice.RecvContext(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if st.Name.Local != "iq" || st.Attrib("id") != "c" || st.Attrib("type") != tc.want {
				t.Fatalf("create: got %s, want an iq of type %s", st, tc.want)
			}
			stop(t, cancel, done)
		})
	}
	if err := run(context.Background(), []string{"-pubsub-create", "everyone"}, io.Discard, nil); err == nil {
		t.Error("-pubsub-create everyone: no error")
	}
}
