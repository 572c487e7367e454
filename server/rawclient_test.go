package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/muctest/muctest/match"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
	"github.com/muctest/muctest/xmlnode"
)

// rawClient is a servertest.Raw connection plus the server it talks to, so
// that expectNothing can wait for the server to be idle.
type rawClient struct {
	*servertest.Raw
	t   testing.TB
	srv *server.Server
}

// password is what login authenticates with; the test servers either
// accept any password or configure this one.
const password = "password"

func dialRaw(t testing.TB, srv *server.Server) *rawClient {
	t.Helper()
	return &rawClient{Raw: servertest.DialRaw(t, srv), t: t, srv: srv}
}

// login authenticates with PLAIN and binds resource (generated when "").
func (c *rawClient) login(user, resource string) *rawClient {
	c.t.Helper()
	c.Login(user, password, resource)
	return c
}

// expect reads the next element and compares it whole with want, by the
// rules of scansion (package match): jabber:client elements loosely,
// payloads strictly, {scansion:any} for any value.
func (c *rawClient) expect(want string) *xmlnode.Element {
	c.t.Helper()
	w, err := xmlnode.Parse(`<wrap xmlns="jabber:client">` + want + `</wrap>`)
	if err != nil || len(w.Elements()) != 1 {
		c.t.Fatalf("expect: bad stanza %q: %v", want, err)
	}
	el := c.Next()
	if m := match.Match(w.Elements()[0], el); m != nil {
		c.t.Fatalf("%s: %v\nwant %s\n%s", c.JID, m, want, match.FormatMismatch(el, m))
	}
	return el
}

// expectNothing waits until the server is idle and checks that nothing is
// buffered for this client, by a ping round trip: the next element must be
// the ping's answer.
func (c *rawClient) expectNothing() {
	c.t.Helper()
	idle(c.t, c.srv)
	c.Send("<iq type='get' id='sync' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
	el := c.Next()
	if el.Attrib("id") != "sync" {
		c.t.Fatalf("%s: got unexpected %s", c.JID, el)
	}
}

func idle(t testing.TB, srv *server.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.WaitIdle(ctx); err != nil {
		t.Fatalf("WaitIdle: %v", err)
	}
}
