package server_test

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/xmlnode"
)

// rawClient is a deliberately dumb XMPP client for tests: it writes what it
// is told and reads top-level elements, so tests can see the exact wire
// behaviour (including stream errors and failures).
type rawClient struct {
	t    testing.TB
	srv  *server.Server
	conn net.Conn
	dec  *xml.Decoder
	jid  string
}

const streamHeader = `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>`

func dialRaw(t testing.TB, srv *server.Server) *rawClient {
	t.Helper()
	conn, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	// A deadline only so that a broken server fails the test instead of
	// hanging it; no test relies on it for synchronisation.
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	return &rawClient{t: t, srv: srv, conn: conn, dec: xml.NewDecoder(conn)}
}

func (c *rawClient) send(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.conn, s); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// openStream sends a stream header and reads the server's header and
// features.
func (c *rawClient) openStream(header string) *xmlnode.Element {
	c.t.Helper()
	c.send(header)
	for {
		tok, err := c.dec.Token()
		if err != nil {
			c.t.Fatalf("reading stream header: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "stream" {
			break
		}
	}
	return c.next()
}

// next reads the next top-level element.
func (c *rawClient) next() *xmlnode.Element {
	c.t.Helper()
	el, err := c.tryNext()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return el
}

// tryNext reads the next top-level element; the server's
// </stream:stream> is io.EOF.
func (c *rawClient) tryNext() (*xmlnode.Element, error) {
	el, err := xmlnode.ReadNext(c.dec, xmlnode.Limits{})
	if errors.Is(err, xmlnode.ErrEnd) {
		return nil, io.EOF
	}
	return el, err
}

func (c *rawClient) auth(user, pass string) *xmlnode.Element {
	c.t.Helper()
	c.send(fmt.Sprintf(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>%s</auth>`,
		base64.StdEncoding.EncodeToString([]byte("\x00"+user+"\x00"+pass))))
	return c.next()
}

// login authenticates with PLAIN and binds resource (generated when "").
func (c *rawClient) login(user, resource string) *rawClient {
	c.t.Helper()
	c.openStream(streamHeader)
	if r := c.auth(user, "password"); r.Name.Local != "success" {
		c.t.Fatalf("auth: got %s", r)
	}
	c.dec = xml.NewDecoder(c.conn)
	c.openStream(streamHeader)
	res := ""
	if resource != "" {
		res = "<resource>" + resource + "</resource>"
	}
	c.send("<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>" + res + "</bind></iq>")
	r := c.next()
	c.jid = r.Child("", "bind").ChildText("", "jid")
	if c.jid == "" {
		c.t.Fatalf("bind: got %s", r)
	}
	return c
}

// expect reads the next element and checks that it contains every
// fragment.
func (c *rawClient) expect(fragments ...string) *xmlnode.Element {
	c.t.Helper()
	el := c.next()
	s := el.String()
	for _, f := range fragments {
		if !strings.Contains(s, f) {
			c.t.Fatalf("%s: got %s, want it to contain %q", c.jid, s, f)
		}
	}
	return el
}

// expectNothing waits until the server is idle and checks that nothing is
// buffered for this client, by a ping round trip: the next element must be
// the ping's answer.
func (c *rawClient) expectNothing() {
	c.t.Helper()
	idle(c.t, c.srv)
	c.send("<iq type='get' id='sync' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
	el := c.next()
	if el.Attrib("id") != "sync" {
		c.t.Fatalf("%s: got unexpected %s", c.jid, el)
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

// close performs the closing handshake and waits for the server's
// </stream:stream>.
func (c *rawClient) close() {
	c.t.Helper()
	c.send("</stream:stream>")
	for {
		_, err := c.tryNext()
		if err != nil {
			break
		}
	}
	c.conn.Close()
}
