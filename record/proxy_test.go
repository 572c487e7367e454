package record

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/client"
	"github.com/muctest/muctest/script"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
	"github.com/muctest/muctest/xmlnode"
)

// startRecorder starts a Recorder on loopback in front of upstream and
// closes it when the test ends.
func startRecorder(t *testing.T, cfg Config) (*Recorder, string, *servertest.LogBuffer) {
	t.Helper()
	logs := &servertest.LogBuffer{}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	rec, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- rec.Serve(ln) }()
	t.Cleanup(func() {
		rec.Close()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
		if t.Failed() {
			t.Logf("recorder log:\n%s", logs.String())
		}
	})
	return rec, ln.Addr().String(), logs
}

// recvUntil reads stanzas until one satisfies ok.
func recvUntil(t *testing.T, c *client.Conn, what string, ok func(*xmlnode.Element) bool) *xmlnode.Element {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		st, err := c.RecvContext(ctx)
		if err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		if ok(st) {
			return st
		}
	}
}

func TestProxyRecordsAReplayableScript(t *testing.T) {
	srv := servertest.New(t, server.Config{})
	rec, addr, _ := startRecorder(t, Config{Upstream: srv.Addr().String(), Title: "Two clients"})
	ctx := context.Background()

	// Romeo does STARTTLS with the proxy and asks for a resource; Juliet
	// stays on plain TCP and lets the server choose.
	romeo, err := client.Dial(ctx, addr, client.Config{JID: "romeo@localhost", Password: "rosaline", Resource: "balcony", TLS: true, InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	romeo.Send(xmlnode.MustParse(`<presence xmlns='jabber:client'/>`))
	recvUntil(t, romeo, "Romeo's own presence", func(e *xmlnode.Element) bool { return e.Name.Local == "presence" })

	juliet, err := client.Dial(ctx, addr, client.Config{JID: "juliet@localhost", Password: "nurse"})
	if err != nil {
		t.Fatal(err)
	}
	romeo.Send(xmlnode.New(client.NSClient, "message", "to", juliet.JID(), "type", "chat", "id", "m1").Append(
		xmlnode.New(client.NSClient, "body").SetText("Hello " + juliet.JID())))
	recvUntil(t, juliet, "Romeo's message", func(e *xmlnode.Element) bool { return e.Name.Local == "message" })
	juliet.Send(xmlnode.MustParse(`<iq xmlns='jabber:client' type='get' id='v1' to='localhost'><query xmlns='jabber:iq:version'/></iq>`))
	recvUntil(t, juliet, "the version", func(e *xmlnode.Element) bool { return e.Attrib("id") == "v1" })
	if err := juliet.Close(); err != nil {
		t.Fatal(err)
	}
	if err := romeo.Close(); err != nil {
		t.Fatal(err)
	}
	<-rec.Done()

	r := rec.Recording()
	if len(r.Clients) != 2 {
		t.Fatalf("%d clients recorded, want 2", len(r.Clients))
	}
	rc := r.Clients[0]
	if !rc.TLS || rc.Mechanism != "PLAIN" || rc.Password != "rosaline" || rc.Resource != "balcony" || rc.JID != "romeo@localhost/balcony" {
		t.Errorf("Romeo recorded as %+v", *rc)
	}
	if jc := r.Clients[1]; jc.TLS || jc.Resource != "" || jc.JID != juliet.JID() {
		t.Errorf("Juliet recorded as %+v", *jc)
	}
	out := r.Render()
	for _, want := range []string{
		"[Client] Romeo\n\tjid: romeo@localhost/balcony\n\tpassword: rosaline\n",
		"[Client] Juliet\n\tjid: juliet@localhost\n\tpassword: nurse\n",
		"<body>Hello ${Juliet's full JID}</body>",
		"Juliet disconnects",
	} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("script lacks %q:\n%s", want, out)
		}
	}
	s, err := script.Parse("recorded.scs", bytes.NewReader(out))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// Strict: everything the clients receive on a fresh server is in the
	// script, and in that order.
	res := script.RunInProcess(ctx, s, script.DefaultServerConfig(), script.Options{Strict: true})
	if !res.Passed() {
		t.Fatalf("the recorded script fails on a fresh server: %v\n%s", res.Failure, out)
	}
}

func TestProxyRefusesDirectTLS(t *testing.T) {
	srv := servertest.New(t, server.Config{})
	rec, addr, logs := startRecorder(t, Config{Upstream: srv.Addr().String()})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true})
	if err := tc.Handshake(); err == nil {
		t.Fatal("a direct TLS handshake with the proxy succeeded")
	}
	rec.Close()
	if !strings.Contains(logs.String(), "direct TLS") {
		t.Errorf("the log does not say why:\n%s", logs.String())
	}
	if n := len(rec.Recording().Clients); n != 0 {
		t.Errorf("%d clients recorded", n)
	}
}

// rawExchange opens a TCP connection to addr, writes send and returns all
// the proxy writes until it closes the connection.
func rawExchange(t *testing.T, addr, send string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(c, send); err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(c)
	return string(got)
}

func TestProxyStreamErrors(t *testing.T) {
	srv := servertest.New(t, server.Config{})
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := dead.Addr().String()
	dead.Close()
	for _, tc := range []struct {
		name, upstream, send, want string
	}{
		{"no to", srv.Addr().String(),
			`<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`,
			"<improper-addressing"},
		{"upstream down", deadAddr, servertest.StreamHeader, "<remote-connection-failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, addr, _ := startRecorder(t, Config{Upstream: tc.upstream})
			if got := rawExchange(t, addr, tc.send); !strings.Contains(got, tc.want) || !strings.HasSuffix(got, "</stream:stream>") {
				t.Errorf("got %q, want a stream error with %s", got, tc.want)
			}
		})
	}
}

func TestProxyLimits(t *testing.T) {
	srv := servertest.New(t, server.Config{})
	for _, tc := range []struct {
		name string
		lim  Limits
		send string
		want string
	}{
		{"element too large", Limits{MaxStanzaBytes: 512}, servertest.StreamHeader + "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + strings.Repeat("A", 4096) + "</auth>", "<policy-violation"},
		// Deep enough for the server's features (SASL2's Bind2 inline
		// features are six levels deep), not for what the client sends.
		{"too deep", Limits{MaxDepth: 8}, servertest.StreamHeader + strings.Repeat("<a>", 9) + strings.Repeat("</a>", 9), "<policy-violation"},
		{"text between elements", Limits{}, servertest.StreamHeader + "hello<a/>", "<not-well-formed"},
		{"broken XML", Limits{}, servertest.StreamHeader + "<a></b>", "<not-well-formed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, addr, _ := startRecorder(t, Config{Upstream: srv.Addr().String(), Limits: tc.lim})
			// The proxy answers the header with features, then drops the
			// connection: ReadAll returns instead of waiting for the
			// 30 s negotiation timeout.
			got := rawExchange(t, addr, tc.send)
			if !strings.Contains(got, "<stream:features>") || !strings.Contains(got, tc.want) || !strings.HasSuffix(got, "</stream:stream>") {
				t.Errorf("got %q, want the features, then a stream error with %s", got, tc.want)
			}
		})
	}
}

func TestRecordingQuota(t *testing.T) {
	srv := servertest.New(t, server.Config{})
	rec, addr, _ := startRecorder(t, Config{Upstream: srv.Addr().String(), Limits: Limits{MaxRecordBytes: 300}})
	c, err := client.Dial(context.Background(), addr, client.Config{JID: "romeo@localhost", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		c.Send(xmlnode.MustParse(`<iq xmlns='jabber:client' type='get' id='v` + string(rune('0'+i)) + `' to='localhost'><query xmlns='jabber:iq:version'/></iq>`))
		recvUntil(t, c, "a version reply", func(e *xmlnode.Element) bool { return e.Name.Local == "iq" })
	}
	c.Close()
	<-rec.Done()
	r := rec.Recording()
	if !r.Truncated {
		t.Fatal("the recording was not cut at its quota")
	}
	if !bytes.Contains(r.Render(), []byte("The recording was cut here")) {
		t.Errorf("the script does not say it was cut:\n%s", r.Render())
	}
}

func TestCloseEndsActiveSessions(t *testing.T) {
	srv := servertest.New(t, server.Config{})
	rec, addr, _ := startRecorder(t, Config{Upstream: srv.Addr().String()})
	c, err := client.Dial(context.Background(), addr, client.Config{JID: "romeo@localhost", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Abort()
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	// Close has waited for the session's goroutines; the client sees its
	// stream end.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		if _, err := c.RecvContext(ctx); err != nil {
			if ctx.Err() != nil {
				t.Fatal("the client's stream did not end after Close")
			}
			break
		}
	}
	r := rec.Recording()
	if n := len(r.Events); n == 0 || r.Events[n-1].Kind == Disconnected {
		t.Errorf("the connection Close cut is in the recording: %+v", r.Events)
	}
}

func TestStreamErrorFromServerIsNoted(t *testing.T) {
	srv := servertest.New(t, server.Config{})
	rec, addr, _ := startRecorder(t, Config{Upstream: srv.Addr().String()})
	ctx := context.Background()
	first, err := client.Dial(ctx, addr, client.Config{JID: "romeo@localhost", Password: "p", Resource: "r"})
	if err != nil {
		t.Fatal(err)
	}
	// The same resource again: the server ends the first stream with
	// <conflict/> (RFC 6120 section 7.7.2.2).
	second, err := client.Dial(ctx, addr, client.Config{JID: "romeo@localhost", Password: "p", Resource: "r"})
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		if _, err := first.RecvContext(rctx); err != nil {
			if rctx.Err() != nil {
				t.Fatal("the first stream did not end")
			}
			break
		}
	}
	second.Close()
	<-rec.Done()
	out := string(rec.Script())
	if !strings.Contains(out, "\nRomeo receives stream error: conflict\n") || strings.Contains(out, "Romeo disconnects") {
		t.Errorf("the conflict is not in the script:\n%s", out)
	}
	// The script pins it: replayed, Juliet's login ends Romeo's stream.
	s, err := script.Parse("conflict.scs", strings.NewReader(out))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if res := script.RunInProcess(context.Background(), s, script.DefaultServerConfig(), script.Options{}); !res.Passed() {
		t.Fatalf("the recorded conflict does not replay: %v\n%s", res.Failure, out)
	}
}

func TestNoTLSOffersNoSTARTTLS(t *testing.T) {
	srv := servertest.New(t, server.Config{})
	_, addr, _ := startRecorder(t, Config{Upstream: srv.Addr().String(), NoTLS: true})
	if _, err := client.Dial(context.Background(), addr, client.Config{JID: "romeo@localhost", Password: "p", TLS: true, InsecureSkipVerify: true}); err == nil {
		t.Fatal("STARTTLS succeeded through a recorder with NoTLS")
	}
	// Upstream, the proxy still did STARTTLS with the server; the client
	// logs in over plain TCP.
	c, err := client.Dial(context.Background(), addr, client.Config{JID: "romeo@localhost", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}
