package client_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"hash"
	"io"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"mellium.im/sasl"

	"github.com/muctest/muctest/client"
	"github.com/muctest/muctest/xmlnode"
)

// fakeServer is a just-enough XMPP server: one connection, scripted
// features, real SASL (mellium.im/sasl server side) and bind. It echoes
// every stanza back after binding and does the closing handshake.
type fakeServer struct {
	mechs       []string
	tls         *tls.Config
	sessionReq  bool   // offer <session/> without <optional/>
	password    string // expected password
	gotSession  bool
	boundRes    string
	noCloseTag  bool // never answer </stream:stream>
	errAfterAck bool // send a stream error after binding
}

func (f *fakeServer) serve(t *testing.T, nc net.Conn) error {
	defer nc.Close()
	var conn net.Conn = nc
	stage := 0 // 0: pre-auth, 1: authenticated
	secure := false
	var br *bufio.Reader
	var brConn net.Conn
	for {
		// As a real server, keep buffered input across a restart on
		// the same connection: a pipelining client's next header may
		// already be in it.
		if brConn != conn {
			br, brConn = bufio.NewReader(conn), conn
		}
		dec := xml.NewDecoder(br)
		// stream header
		for {
			tok, err := dec.Token()
			if err != nil {
				return fmt.Errorf("header: %w", err)
			}
			if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "stream" {
				break
			}
		}
		io.WriteString(conn, "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='localhost' version='1.0'>")
		var feat strings.Builder
		feat.WriteString("<stream:features>")
		if stage == 0 {
			if f.tls != nil && !secure {
				feat.WriteString("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>")
			} else {
				feat.WriteString("<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>")
				for _, m := range f.mechs {
					feat.WriteString("<mechanism>" + m + "</mechanism>")
				}
				feat.WriteString("</mechanisms>")
			}
		} else {
			feat.WriteString("<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>")
			if f.sessionReq {
				feat.WriteString("<session xmlns='urn:ietf:params:xml:ns:xmpp-session'/>")
			}
		}
		feat.WriteString("</stream:features>")
		io.WriteString(conn, feat.String())
		restart := false
		var neg *sasl.Negotiator
		for !restart {
			el, err := xmlnode.ReadNext(dec, xmlnode.Limits{})
			if errors.Is(err, xmlnode.ErrEnd) {
				if !f.noCloseTag {
					io.WriteString(conn, "</stream:stream>")
				}
				// Wait for the client to hang up.
				io.Copy(io.Discard, conn)
				return nil
			}
			if err != nil {
				return fmt.Errorf("read: %w", err)
			}
			switch el.Name.Local {
			case "starttls":
				io.WriteString(conn, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
				tc := tls.Server(conn, f.tls)
				if err := tc.Handshake(); err != nil {
					return err
				}
				conn, secure, restart = tc, true, true
			case "auth", "response":
				if el.Name.Local == "auth" {
					neg = f.negotiator(el.Attrib("mechanism"))
				}
				data, _ := base64.StdEncoding.DecodeString(el.Text())
				more, resp, err := neg.Step(data)
				if err != nil {
					io.WriteString(conn, "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>")
					return nil
				}
				if more {
					io.WriteString(conn, "<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"+base64.StdEncoding.EncodeToString(resp)+"</challenge>")
					continue
				}
				io.WriteString(conn, "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"+base64.StdEncoding.EncodeToString(resp)+"</success>")
				stage, restart = 1, true
			case "iq":
				id := el.Attrib("id")
				if b := el.Child(client.NSBind, "bind"); b != nil {
					res := b.ChildText(client.NSBind, "resource")
					if res == "" {
						res = "generated"
					}
					f.boundRes = res
					io.WriteString(conn, "<iq type='result' id='"+id+"'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>user@localhost/"+res+"</jid></bind></iq>")
					if f.errAfterAck {
						io.WriteString(conn, "<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>replaced</text></stream:error></stream:stream>")
					}
					continue
				}
				if el.Child(client.NSSession, "session") != nil {
					f.gotSession = true
					io.WriteString(conn, "<iq type='result' id='"+id+"'/>")
					continue
				}
				fallthrough
			default:
				conn.Write(el.AppendTo(nil, "jabber:client"))
			}
		}
	}
}

func (f *fakeServer) negotiator(mech string) *sasl.Negotiator {
	var m sasl.Mechanism
	var h func() hash.Hash
	switch mech {
	case "PLAIN":
		m = sasl.Plain
	case "SCRAM-SHA-1":
		m, h = sasl.ScramSha1, sha1.New
	case "SCRAM-SHA-256":
		m, h = sasl.ScramSha256, sha256.New
	}
	salt := []byte("saltsaltsalt")
	return sasl.NewServer(m, func(n *sasl.Negotiator) bool {
		_, pw, _ := n.Credentials()
		return mech != "PLAIN" || string(pw) == f.password
	}, sasl.SaltedCredentials(func(user, _ []byte, _ string) ([]byte, []byte, int64, error) {
		if string(user) != "user" {
			return nil, nil, 0, errors.New("no such user")
		}
		return salt, sasl.SCRAMSaltPassword(h, []byte(f.password), salt, 4096), 4096, nil
	}))
}

func start(t *testing.T, f *fakeServer) (string, chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		nc, err := ln.Accept()
		ln.Close()
		if err != nil {
			done <- err
			return
		}
		done <- f.serve(t, nc)
	}()
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String(), done
}

func selfSigned(t *testing.T) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}

func TestDialSendRecvClose(t *testing.T) {
	tests := []struct {
		name     string
		srv      fakeServer
		cfg      client.Config
		wantJID  string
		wantErr  string
		session  bool
		checkTLS bool
	}{
		{name: "plain", srv: fakeServer{mechs: []string{"PLAIN"}, password: "pw"},
			cfg: client.Config{JID: "user@localhost", Password: "pw", Resource: "r1"}, wantJID: "user@localhost/r1"},
		{name: "scram-sha-1", srv: fakeServer{mechs: []string{"PLAIN", "SCRAM-SHA-1"}, password: "pw"},
			cfg: client.Config{JID: "user@localhost", Password: "pw"}, wantJID: "user@localhost/generated"},
		{name: "scram-sha-256 preferred", srv: fakeServer{mechs: []string{"PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256"}, password: "pw"},
			cfg: client.Config{JID: "user@localhost", Password: "pw", Resource: "x"}, wantJID: "user@localhost/x"},
		{name: "forced mechanism", srv: fakeServer{mechs: []string{"PLAIN", "SCRAM-SHA-256"}, password: "pw"},
			cfg: client.Config{JID: "user@localhost", Password: "pw", Mechanism: "PLAIN"}, wantJID: "user@localhost/generated"},
		{name: "scram wrong password", srv: fakeServer{mechs: []string{"SCRAM-SHA-256"}, password: "pw"},
			cfg: client.Config{JID: "user@localhost", Password: "bad"}, wantErr: "sasl"},
		{name: "plain wrong password", srv: fakeServer{mechs: []string{"PLAIN"}, password: "pw"},
			cfg: client.Config{JID: "user@localhost", Password: "bad"}, wantErr: "not-authorized"},
		{name: "preference list", srv: fakeServer{mechs: []string{"SCRAM-SHA-1", "SCRAM-SHA-256"}, password: "pw"},
			cfg: client.Config{JID: "user@localhost", Password: "pw", Mechanism: "PLAIN, scram-sha-1"}, wantJID: "user@localhost/generated"},
		{name: "unknown mechanism", srv: fakeServer{mechs: []string{"PLAIN"}, password: "pw"},
			cfg: client.Config{JID: "user@localhost", Password: "pw", Mechanism: "DIGEST-MD5"}, wantErr: "not supported"},
		{name: "mechanism not offered", srv: fakeServer{mechs: []string{"PLAIN"}, password: "pw"},
			cfg: client.Config{JID: "user@localhost", Password: "pw", Mechanism: "SCRAM-SHA-1"}, wantErr: "does not offer"},
		{name: "required session", srv: fakeServer{mechs: []string{"PLAIN"}, password: "pw", sessionReq: true},
			cfg: client.Config{JID: "user@localhost", Password: "pw", Resource: "r"}, wantJID: "user@localhost/r", session: true},
		{name: "starttls", srv: fakeServer{mechs: []string{"SCRAM-SHA-1"}, password: "pw", tls: selfSigned(t)},
			cfg: client.Config{JID: "user@localhost", Password: "pw", TLS: true, InsecureSkipVerify: true}, wantJID: "user@localhost/generated"},
		{name: "starttls unverified cert", srv: fakeServer{mechs: []string{"PLAIN"}, password: "pw", tls: selfSigned(t)},
			cfg: client.Config{JID: "user@localhost", Password: "pw", TLS: true}, wantErr: "certificate"},
		{name: "plain pipelined", srv: fakeServer{mechs: []string{"PLAIN"}, password: "pw"},
			cfg: client.Config{JID: "user@localhost", Password: "pw", Resource: "p", PipelinePlain: true}, wantJID: "user@localhost/p"},
		{name: "plain pipelined, wrong password", srv: fakeServer{mechs: []string{"PLAIN"}, password: "pw"},
			cfg: client.Config{JID: "user@localhost", Password: "bad", PipelinePlain: true}, wantErr: "not-authorized"},
		{name: "plain pipelined, session required", srv: fakeServer{mechs: []string{"PLAIN"}, password: "pw", sessionReq: true},
			cfg: client.Config{JID: "user@localhost", Password: "pw", Resource: "r", PipelinePlain: true}, wantJID: "user@localhost/r", session: true},
		{name: "tls wanted, not offered", srv: fakeServer{mechs: []string{"PLAIN"}, password: "pw"},
			cfg: client.Config{JID: "user@localhost", Password: "pw", TLS: true}, wantErr: "STARTTLS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := tt.srv
			addr, done := start(t, &srv)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := client.Dial(ctx, addr, tt.cfg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Dial error = %v, want it to mention %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			if c.JID() != tt.wantJID {
				t.Errorf("JID() = %q, want %q", c.JID(), tt.wantJID)
			}
			for i := 0; i < 3; i++ {
				msg := xmlnode.MustParse(fmt.Sprintf(`<message xmlns="jabber:client" to="x@localhost" id="m%d"><body>hi &amp; bye</body></message>`, i))
				if i == 2 {
					// Built without a namespace: sent as jabber:client.
					msg = xmlnode.New("", "message", "to", "x@localhost", "id", "m2")
					msg.AddChild("", "body").SetText("hi & bye")
				}
				if err := c.Send(msg); err != nil {
					t.Fatal(err)
				}
			}
			for i := 0; i < 3; i++ {
				got, err := c.RecvContext(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if got.Attrib("id") != fmt.Sprintf("m%d", i) || got.ChildText("", "body") != "hi & bye" || got.Name.Space != client.NSClient {
					t.Errorf("echo %d = %s", i, got)
				}
			}
			if err := c.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if _, err := c.Recv(); !errors.Is(err, client.ErrClosed) {
				t.Errorf("Recv after Close = %v, want ErrClosed", err)
			}
			if err := <-done; err != nil {
				t.Errorf("server: %v", err)
			}
			if srv.gotSession != tt.session {
				t.Errorf("session iq sent = %v, want %v", srv.gotSession, tt.session)
			}
		})
	}
}

// TestCloseTimesOutWithoutServerTag checks that Close gives up after its
// timeout on a server that never sends its closing tag. It runs in
// parallel: it mostly waits out that timeout, and the package has no
// state a test sets. Only Close's wait is short (SetCloseTimeout): a
// 200 ms Config.Timeout also bounded the login, which under -race beside
// the CPU-bound parallel tests could take longer.
func TestCloseTimesOutWithoutServerTag(t *testing.T) {
	t.Parallel()
	srv := fakeServer{mechs: []string{"PLAIN"}, password: "pw", noCloseTag: true}
	addr, _ := start(t, &srv)
	c, err := client.Dial(context.Background(), addr, client.Config{JID: "user@localhost", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	client.SetCloseTimeout(c, 200*time.Millisecond)
	if err := c.Close(); err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("Close = %v, want a timeout error", err)
	}
}

func TestStreamError(t *testing.T) {
	srv := fakeServer{mechs: []string{"PLAIN"}, password: "pw", errAfterAck: true}
	addr, _ := start(t, &srv)
	c, err := client.Dial(context.Background(), addr, client.Config{JID: "user@localhost", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Abort()
	_, err = c.Recv()
	var se *client.StreamError
	if !errors.As(err, &se) || se.Condition != "conflict" || se.Text != "replaced" {
		t.Fatalf("Recv = %v, want stream error conflict/replaced", err)
	}
}

func TestDialContextCancelled(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		nc, err := ln.Accept()
		if err == nil {
			accepted <- nc
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := client.Dial(ctx, ln.Addr().String(), client.Config{JID: "user@localhost"})
		errc <- err
	}()
	nc := <-accepted // the server never answers
	defer nc.Close()
	cancel()
	if err := <-errc; err == nil {
		t.Fatal("Dial succeeded against a silent server")
	}
}
