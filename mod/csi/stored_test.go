package csi_test

import (
	"testing"

	"github.com/muctest/muctest/mod/csi"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/moduletest"
	"github.com/muctest/muctest/xmlnode"
)

// TestStoredPayload: a MUC history message reaches the layer with its
// children kept serialised (xmlnode.Element.Sealed). An inactive client
// gets one with a body at once, as any message with a body, and one that
// waits keeps the single delay the room stamped it with.
func TestStoredPayload(t *testing.T) {
	m := csi.Module{}
	ss := streams{}
	s := moduletest.New(t, m, ss.Module())
	alice := s.Login("alice@localhost/phone")
	full := "alice@localhost/phone"
	ss.set(m, full, true)
	stored := func(inner string) *xmlnode.Element {
		return xmlnode.MustParse(`<message xmlns='jabber:client' from='room@conference.localhost/bob' type='groupchat'>` + inner +
			`<delay xmlns='urn:xmpp:delay' from='room@conference.localhost' stamp='2026-12-01T09:00:00Z'/></message>`).Sealed()
	}
	send := func(st *xmlnode.Element) {
		a := ss[full]
		a.Do(func(module.Context) { a.Conn().SendTo(st, full) })
	}
	send(stored(`<body>hello</body>`))
	got := alice.Received()
	if len(got) != 1 || got[0].ChildText("jabber:client", "body") != "hello" {
		t.Fatalf("a history message with a body was held: got %v", got)
	}
	send(stored(`<displayed xmlns='urn:xmpp:chat-markers:0' id='m1'/>`))
	alice.ExpectNothing()
	ss.set(m, full, false)
	got = alice.Received()
	if len(got) != 1 || len(got[0].ChildrenNamed(csi.NSDelay, "delay")) != 1 || got[0].Attrib("to") != full {
		t.Fatalf("held history message came out as %v, want it with its one delay", got)
	}
}
