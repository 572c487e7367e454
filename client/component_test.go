package client

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/xml"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/xmlnode"
)

// fakeComponentServer accepts one component stream: it checks the
// handshake against secret, then echoes every stanza back with from and to
// swapped. It reports what it read on got.
func fakeComponentServer(t *testing.T, secret string) (addr string, got chan *xmlnode.Element) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	got = make(chan *xmlnode.Element, 8)
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		dec := xml.NewDecoder(bufio.NewReader(c))
		start, err := readStartEl(dec)
		if err != nil || start.Name.Space != NSStream {
			return
		}
		to := ""
		for _, a := range start.Attr {
			if a.Name.Local == "to" {
				to = a.Value
			}
		}
		io.WriteString(c, "<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' id='s1d' from='"+to+"'>")
		hs, err := xmlnode.ReadNext(dec, xmlnode.Limits{})
		if err != nil {
			return
		}
		sum := sha1.Sum([]byte("s1d" + secret))
		if hs.Name.Local != "handshake" || strings.TrimSpace(hs.Text()) != hex.EncodeToString(sum[:]) {
			io.WriteString(c, "<stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>")
			return
		}
		io.WriteString(c, "<handshake/>")
		for {
			st, err := xmlnode.ReadNext(dec, xmlnode.Limits{})
			if err != nil {
				io.WriteString(c, "</stream:stream>")
				return
			}
			got <- st
			echo := st.Copy()
			echo.SetAttr("from", st.Attrib("to")).SetAttr("to", st.Attrib("from"))
			c.Write(echo.AppendTo(nil, NSComponent))
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String(), got
}

func readStartEl(dec *xml.Decoder) (xml.StartElement, error) {
	for {
		tok, err := dec.Token()
		if err != nil {
			return xml.StartElement{}, err
		}
		if s, ok := tok.(xml.StartElement); ok {
			return s, nil
		}
	}
}

func TestDialComponent(t *testing.T) {
	addr, got := fakeComponentServer(t, "s3cret")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := DialComponent(ctx, addr, ComponentConfig{Domain: "gw.localhost", Secret: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	if c.JID() != "gw.localhost" {
		t.Errorf("JID = %q", c.JID())
	}
	msg := xmlnode.MustParse(`<message xmlns="jabber:client" from="gw.localhost" to="romeo@localhost"><body>hi</body></message>`)
	if err := c.Send(msg); err != nil {
		t.Fatal(err)
	}
	// On the wire the stanza is in the component namespace.
	if sent := <-got; sent.Name.Space != NSComponent || sent.Child(NSComponent, "body") == nil {
		t.Errorf("server read %s in %q", sent, sent.Name.Space)
	}
	// What comes back is given in jabber:client, children included.
	echo, err := c.RecvContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if echo.Name.Space != NSClient || echo.Child(NSClient, "body") == nil || echo.Attrib("to") != "gw.localhost" {
		t.Errorf("received %s in %q", echo, echo.Name.Space)
	}
	if err := c.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func TestDialComponentWrongSecret(t *testing.T) {
	addr, _ := fakeComponentServer(t, "right")
	_, err := DialComponent(context.Background(), addr, ComponentConfig{Domain: "gw.localhost", Secret: "wrong", Timeout: 5 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "not-authorized") {
		t.Errorf("err = %v, want not-authorized", err)
	}
}

// TestDropWaitsForServer checks that Drop half-closes (the server reads
// EOF, with no </stream:stream>) and returns once the server closed.
func TestDropWaitsForServer(t *testing.T) {
	addr, got := fakeComponentServer(t, "s")
	c, err := DialComponent(context.Background(), addr, ComponentConfig{Domain: "gw.localhost", Secret: "s", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Drop(); err != nil {
		t.Fatalf("Drop: %v", err)
	}
	select {
	case st := <-got:
		t.Errorf("server read %s, want nothing before EOF", st)
	default:
	}
	if _, err := c.Recv(); err == nil {
		t.Error("Recv after Drop succeeded")
	}
}
