package server_test

import (
	"testing"

	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
)

func TestCarbons(t *testing.T) {
	srv := servertest.New(t, server.Config{})
	a1 := dialRaw(t, srv).login("alice", "one")
	a2 := dialRaw(t, srv).login("alice", "two")
	a3 := dialRaw(t, srv).login("alice", "three") // never enables carbons
	b := dialRaw(t, srv).login("bob", "")
	for _, c := range []*rawClient{a1, a2} {
		c.Send(`<iq type="set" id="c"><enable xmlns="urn:xmpp:carbons:2"/></iq>`)
		c.expect(`id="c"`, `type="result"`)
	}

	// Received: bob writes to alice/one; alice/two gets a copy.
	b.Send(`<message to="` + a1.JID + `" type="chat"><body>hi one</body></message>`)
	a1.expect("hi one")
	a2.expect(`from="alice@localhost"`, `<received xmlns="urn:xmpp:carbons:2"><forwarded xmlns="urn:xmpp:forward:0"><message xmlns="jabber:client"`, "hi one")

	// Sent: alice/one writes to bob; alice/two gets a copy.
	a1.Send(`<message to="` + b.JID + `" type="chat"><body>hi bob</body></message>`)
	b.expect("hi bob")
	a2.expect(`<sent xmlns="urn:xmpp:carbons:2">`, `from="`+a1.JID+`"`, "hi bob")

	// Not copied: private, groupchat, headline; alice/three never.
	a1.Send(`<message to="` + b.JID + `" type="chat"><body>secret</body><private xmlns="urn:xmpp:carbons:2"/></message>`)
	b.expect("secret")
	a2.expectNothing()
	a3.expectNothing()

	// Disabled again: no more copies.
	a2.Send(`<iq type="set" id="d"><disable xmlns="urn:xmpp:carbons:2"/></iq>`)
	a2.expect(`id="d"`, `type="result"`)
	b.Send(`<message to="` + a1.JID + `" type="chat"><body>again</body></message>`)
	a1.expect("again")
	a2.expectNothing()
}
