package external_test

import (
	"context"
	"encoding/xml"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/client"
	"github.com/muctest/muctest/component/external"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
	"github.com/muctest/muctest/xmlnode"
)

// component connects to addr as domain and completes the handshake.
func component(t *testing.T, addr, domain, secret string) (net.Conn, *xml.Decoder) {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(20 * time.Second))
	io.WriteString(nc, "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='"+domain+"'>")
	d := xml.NewDecoder(nc)
	id := ""
	for id == "" {
		tok, err := d.Token()
		if err != nil {
			t.Fatal(err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "stream" {
			for _, a := range se.Attr {
				if a.Name.Local == "id" {
					id = a.Value
				}
			}
		}
	}
	io.WriteString(nc, "<handshake>"+external.Digest(id, secret)+"</handshake>")
	if el, err := xmlnode.ReadNext(d, xmlnode.Limits{}); err != nil || el.Name.Local != "handshake" {
		t.Fatalf("handshake: %v %v", el, err)
	}
	return nc, d
}

// TestServerMountsComponents runs the whole path: server.Config.Components,
// a component on StartComponents' listener, a client logged in to the
// server, a message each way.
func TestServerMountsComponents(t *testing.T) {
	srv := servertest.New(t, server.Config{Components: map[string]string{"bot.localhost": "s3cret"}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := srv.StartComponents(ln)
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; err != nil && err != server.ErrClosed {
			t.Errorf("StartComponents: %v", err)
		}
	})
	if got := srv.ComponentAddr(); got == nil || got.String() != ln.Addr().String() {
		t.Fatalf("ComponentAddr = %v", got)
	}
	nc, d := component(t, srv.ComponentAddr().String(), "bot.localhost", "s3cret")

	ctx := context.Background()
	romeo, err := client.Dial(ctx, srv.Addr().String(), client.Config{JID: "romeo@localhost", Password: "pw", Resource: "r"})
	if err != nil {
		t.Fatal(err)
	}
	defer romeo.Close()
	romeo.Send(xmlnode.MustParse(`<message xmlns='jabber:client' to='echo@bot.localhost' type='chat' id='m1'><body>ping</body></message>`))
	got, err := xmlnode.ReadNext(d, xmlnode.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Attrib("from") != "romeo@localhost/r" || got.ChildText(external.NSAccept, "body") != "ping" {
		t.Fatalf("the component got %s", got)
	}
	io.WriteString(nc, `<message from='echo@bot.localhost' to='romeo@localhost/r' type='chat' id='m2'><body>pong</body></message>`)
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		st, err := romeo.RecvContext(rctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Name.Local == "message" {
			if st.Attrib("from") != "echo@bot.localhost" || st.ChildText("jabber:client", "body") != "pong" {
				t.Fatalf("Romeo got %s", st)
			}
			break
		}
	}
	// The server's disco lists the component among its items.
	romeo.Send(xmlnode.MustParse(`<iq xmlns='jabber:client' type='get' id='d1' to='localhost'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>`))
	for {
		st, err := romeo.RecvContext(rctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Attrib("id") == "d1" {
			if !strings.Contains(st.String(), `jid="bot.localhost"`) {
				t.Errorf("disco#items lacks the component: %s", st)
			}
			break
		}
	}
	// Shutdown: the component is told, and then hangs up, as a component
	// does after a stream error. Close waits for that (or, for a
	// component that does not, a second), so that the error is read
	// before the connection closes: it runs meanwhile.
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		srv.Close()
	}()
	for {
		el, err := xmlnode.ReadNext(d, xmlnode.Limits{})
		if err != nil {
			t.Fatalf("no system-shutdown: %v", err)
		}
		if el.Name.Local == "error" {
			if el.Child("urn:ietf:params:xml:ns:xmpp-streams", "system-shutdown") == nil {
				t.Errorf("stream error %s, want system-shutdown", el)
			}
			break
		}
	}
	nc.Close()
	<-closed
}

func TestServerComponentConfigErrors(t *testing.T) {
	// The MUC already has conference.localhost.
	if _, err := server.New(server.Config{Components: map[string]string{"conference.localhost": "x"}}); err == nil {
		t.Error("a component on the MUC's domain was accepted")
	}
	if _, err := server.New(server.Config{Components: map[string]string{"bot.localhost": ""}}); err == nil {
		t.Error("an empty secret was accepted")
	}
	srv := servertest.New(t, server.Config{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.ServeComponents(ln); err == nil {
		t.Error("ServeComponents without Config.Components")
	}
}
