package server_test

import (
	"context"
	"crypto/tls"
	"encoding/xml"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"mellium.im/sasl"
	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/muctest/muctest/c2s"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
)

// realClient is a mellium.im/xmpp client session: an independent
// implementation of the client side of RFC 6120, so these tests check
// interoperability rather than our own assumptions.
type realClient struct {
	t    testing.TB
	sess *xmpp.Session
	// ctx is the session's context for every call into mellium, ended at
	// cleanup only: mellium watches each call's context in a goroutine
	// and, when the context is done, sets the connection's deadline to the
	// past; a context cancelled as a call returns races that goroutine
	// (its select may see both), which then fails the next write with
	// "i/o timeout" (seen once in TestMelliumSASLMechanisms).
	ctx    context.Context
	cancel context.CancelFunc
	in     chan inbound
	done   chan error
	once   sync.Once
}

// inbound is one stanza the client received, reduced to what tests check.
type inbound struct {
	name, from, to, typ, body string
	delayed                   bool
}

func dialMellium(ctx context.Context, srv *server.Server, user, pass string, mech sasl.Mechanism) (*xmpp.Session, error) {
	conn, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		return nil, err
	}
	origin := jid.MustParse(user + "@localhost")
	sess, err := xmpp.NewClientSession(ctx, origin, conn,
		xmpp.StartTLS(&tls.Config{ServerName: "localhost", InsecureSkipVerify: true}),
		xmpp.SASL("", pass, mech),
		xmpp.BindResource(),
	)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return sess, nil
}

func loginMellium(t testing.TB, srv *server.Server, user, pass string, mech sasl.Mechanism) *realClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	sess, err := dialMellium(ctx, srv, user, pass, mech)
	if err != nil {
		cancel()
		t.Fatalf("login %s with %s: %v", user, mech.Name, err)
	}
	c := &realClient{t: t, sess: sess, ctx: ctx, cancel: cancel, in: make(chan inbound, 100), done: make(chan error, 1)}
	go func() {
		c.done <- sess.Serve(xmpp.HandlerFunc(func(r xmlstream.TokenReadEncoder, start *xml.StartElement) error {
			st := inbound{name: start.Name.Local}
			for _, a := range start.Attr {
				switch a.Name.Local {
				case "from":
					st.from = a.Value
				case "to":
					st.to = a.Value
				case "type":
					st.typ = a.Value
				}
			}
			// Read the payload: the body text and whether there is a delay.
			depth, inBody := 1, false
			for depth > 0 {
				tok, err := r.Token()
				if err != nil {
					return err
				}
				switch tt := tok.(type) {
				case xml.StartElement:
					depth++
					inBody = depth == 2 && tt.Name.Local == "body"
					if tt.Name.Local == "delay" && tt.Name.Space == "urn:xmpp:delay" {
						st.delayed = true
					}
				case xml.EndElement:
					depth--
					inBody = false
				case xml.CharData:
					if inBody {
						st.body += string(tt)
					}
				}
			}
			c.in <- st
			return nil
		}))
	}()
	t.Cleanup(c.close)
	return c
}

func (c *realClient) jid() jid.JID { return c.sess.LocalAddr() }

func (c *realClient) close() {
	c.once.Do(func() {
		// Without the closing handshake (the stream broken), the server
		// never answers </stream:stream>: drop the connection instead of
		// waiting for Serve forever.
		if err := c.sess.Close(); err != nil {
			_ = c.sess.Conn().Close()
		}
		<-c.done
		c.cancel()
	})
}

func (c *realClient) send(r xml.TokenReader) {
	c.t.Helper()
	if err := c.sess.Send(c.ctx, r); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

func (c *realClient) presence() {
	c.send(stanza.Presence{}.Wrap(nil))
}

func (c *realClient) message(to jid.JID, body string) {
	c.send(stanza.Message{To: to, Type: stanza.ChatMessage}.Wrap(
		xmlstream.Wrap(xmlstream.Token(xml.CharData(body)), xml.StartElement{Name: xml.Name{Local: "body"}})))
}

func (c *realClient) recv() inbound {
	c.t.Helper()
	select {
	case st := <-c.in:
		return st
	case err := <-c.done:
		c.t.Fatalf("%s: session ended: %v", c.jid(), err)
	case <-time.After(10 * time.Second):
		c.t.Fatalf("%s: nothing received", c.jid())
	}
	return inbound{}
}

func TestMelliumSASLMechanisms(t *testing.T) {
	srv := servertest.New(t, server.Config{Accounts: map[string]string{"alice": "secret", "bob": "hunter2"}})
	for _, mech := range []sasl.Mechanism{sasl.Plain, sasl.ScramSha1, sasl.ScramSha256} {
		t.Run(mech.Name, func(t *testing.T) {
			c := loginMellium(t, srv, "alice", "secret", mech)
			if !strings.HasPrefix(c.jid().String(), "alice@localhost/") {
				t.Fatalf("bound %s, want alice@localhost/...", c.jid())
			}
			// Initial presence is reflected; a message to our own bare JID
			// comes back to us.
			c.presence()
			if st := c.recv(); st.name != "presence" || st.from != c.jid().String() {
				t.Fatalf("got %+v, want own presence", st)
			}
			c.message(c.jid().Bare(), "note to self via "+mech.Name)
			if st := c.recv(); st.name != "message" || st.body != "note to self via "+mech.Name || st.from != c.jid().String() {
				t.Fatalf("got %+v, want the message back", st)
			}
		})
	}
}

func TestMelliumBadPassword(t *testing.T) {
	srv := servertest.New(t, server.Config{Accounts: map[string]string{"alice": "secret"}})
	for _, mech := range []sasl.Mechanism{sasl.Plain, sasl.ScramSha1, sasl.ScramSha256} {
		t.Run(mech.Name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			sess, err := dialMellium(ctx, srv, "alice", "wrong", mech)
			if err == nil {
				sess.Close()
				t.Fatal("login with a wrong password succeeded")
			}
			var se stanza.Error
			if !strings.Contains(err.Error(), "not-authorized") && !errors.As(err, &se) {
				t.Fatalf("got %v, want not-authorized", err)
			}
		})
	}
}

func TestMelliumAnyPasswordSCRAM(t *testing.T) {
	// Any-password mode: PLAIN creates the account, SCRAM then verifies the
	// stored password.
	srv := servertest.New(t, server.Config{AnyPassword: true, Mechanisms: c2s.AllMechanisms})
	c := loginMellium(t, srv, "carol", "pw1", sasl.Plain)
	c.close()
	loginMellium(t, srv, "carol", "pw1", sasl.ScramSha256)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if sess, err := dialMellium(ctx, srv, "carol", "other", sasl.ScramSha1); err == nil {
		sess.Close()
		t.Fatal("SCRAM with a wrong password succeeded")
	}
	if sess, err := dialMellium(ctx, srv, "nobody", "x", sasl.ScramSha1); err == nil {
		sess.Close()
		t.Fatal("SCRAM for a missing account succeeded")
	}
}

func TestMelliumMessagesAndOffline(t *testing.T) {
	srv := servertest.New(t, server.Config{})
	a := loginMellium(t, srv, "alice", "pw", sasl.Plain)
	b := loginMellium(t, srv, "bob", "pw", sasl.Plain)

	// To the full JID: delivered without presence.
	a.message(b.jid(), "to your resource")
	if st := b.recv(); st.body != "to your resource" || st.from != a.jid().String() {
		t.Fatalf("got %+v", st)
	}
	// To the bare JID while bob is not available: stored, then delivered
	// with a delay after bob's initial presence.
	a.message(b.jid().Bare(), "stored")
	// Alice's own presence comes back after the message was routed: the
	// server handles one connection's stanzas in order.
	a.presence()
	a.recv()
	b.presence()
	if st := b.recv(); st.name != "presence" {
		t.Fatalf("got %+v, want own presence", st)
	}
	if st := b.recv(); st.body != "stored" || !st.delayed {
		t.Fatalf("got %+v, want the delayed offline message", st)
	}
	// Bare JID with bob available: delivered at once, no delay.
	a.message(b.jid().Bare(), "live")
	if st := b.recv(); st.body != "live" || st.delayed {
		t.Fatalf("got %+v", st)
	}
}
