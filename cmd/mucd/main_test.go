package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/client"
	"github.com/muctest/muctest/mod/sm"
	"github.com/muctest/muctest/muc"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
	"github.com/muctest/muctest/tlscert"
)

func TestFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string // in the error
	}{
		{[]string{"-user", "nocolon"}, "name:password"},
		{[]string{"-bogus"}, "not defined"},
		{[]string{"-domain", "bad domain@x"}, "bad domain"},
		{[]string{"-addr", "256.0.0.1:1"}, "listen"},
		{[]string{"-sasl", "PLAIN,DIGEST-MD5"}, "unsupported mechanism"},
		{[]string{"-cert", "x.crt"}, "-cert and -key go together"},
		{[]string{"-key", "x.key"}, "-cert and -key go together"},
		{[]string{"-cert", "nothere.crt", "-key", "nothere.key"}, "no such file"},
	}
	for _, tc := range tests {
		// Never the user's cache directory.
		args := append([]string{"-data-dir", t.TempDir()}, tc.args...)
		err := run(context.Background(), args, io.Discard, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run(%q) = %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
}

// start runs mucd with args until ctx ends and dials it. The connection
// (closed at cleanup) has a deadline only so that a broken server fails
// the test instead of hanging it; done receives run's result.
func start(t *testing.T, ctx context.Context, args ...string) (conn net.Conn, done <-chan error) {
	t.Helper()
	ready := make(chan net.Addr, 1)
	result := make(chan error, 1)
	go func() { result <- run(ctx, args, io.Discard, ready) }()
	var addr net.Addr
	select {
	case addr = <-ready:
	case err := <-result:
		t.Fatalf("run: %v", err)
	}
	conn, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	return conn, result
}

// login logs user@localhost in, with the password "password" (any
// password is accepted without -user), to the mucd that probe (from
// start) is connected to; the session is dropped at cleanup.
func login(t *testing.T, ctx context.Context, probe net.Conn, user, resource string) *client.Conn {
	t.Helper()
	c, err := client.Dial(ctx, probe.RemoteAddr().String(), client.Config{JID: user + "@localhost", Password: "password", Resource: resource})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Abort() })
	return c
}

// stop ends the mucd that start ran (cancel is its context's) and fails
// the test if run did not return cleanly.
func stop(t *testing.T, cancel context.CancelFunc, done <-chan error) {
	t.Helper()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
}

// TestServe starts mucd with fixed accounts, logs in over PLAIN with the
// right password after a wrong one, and shuts it down through its context.
func TestServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	conn, done := start(t, ctx, "-addr", "127.0.0.1:0", "-user", "alice:secret", "-no-tls", "-v")
	r := bufio.NewReader(conn)
	readUntil := func(s string) string {
		t.Helper()
		var b strings.Builder
		for !strings.Contains(b.String(), s) {
			c, err := r.ReadByte()
			if err != nil {
				t.Fatalf("reading for %q: %v (got %s)", s, err, b.String())
			}
			b.WriteByte(c)
		}
		return b.String()
	}
	auth := func(pass string) string {
		return "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" +
			base64.StdEncoding.EncodeToString([]byte("\x00alice\x00"+pass)) + "</auth>"
	}
	io.WriteString(conn, `<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>`)
	if f := readUntil("</stream:features>"); strings.Contains(f, "starttls") {
		t.Errorf("-no-tls still offers STARTTLS: %s", f)
	}
	io.WriteString(conn, auth("wrong"))
	readUntil("<not-authorized/></failure>")
	io.WriteString(conn, auth("secret"))
	readUntil("<success")
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run after cancel: %v", err)
	}
}

// TestLimitFlags checks that the limit flags reach the server: a stanza over
// -max-stanza ends the stream with policy-violation.
func TestLimitFlags(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	conn, done := start(t, ctx, "-addr", "127.0.0.1:0", "-no-tls", "-max-stanza", "512", "-conn-rate", "5", "-max-occupants", "3")
	io.WriteString(conn, `<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>`)
	io.WriteString(conn, "<message><body>"+strings.Repeat("x", 2048)+"</body></message>")
	got, _ := io.ReadAll(conn)
	if !strings.Contains(string(got), "<policy-violation") {
		t.Errorf("a 2 KiB stanza with -max-stanza 512 got %q, want a policy-violation stream error", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run after cancel: %v", err)
	}
}

// serveOnce runs mucd with args, negotiates STARTTLS as a client that
// trusts only the certificate file in roots (nil: the one mucd logs), then
// stops it; it returns the log and the certificate the server presented.
func serveOnce(t *testing.T, roots string, args ...string) (logs string, presented *x509.Certificate) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logOut servertest.LogBuffer
	ready := make(chan net.Addr, 1)
	result := make(chan error, 1)
	go func() { result <- run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), &logOut, ready) }()
	var addr net.Addr
	select {
	case addr = <-ready:
	case err := <-result:
		t.Fatalf("run: %v", err)
	}
	if roots == "" {
		roots = logField(t, logOut.String(), "file")
	}
	pemBytes, err := os.ReadFile(roots)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatalf("%s holds no PEM certificate", roots)
	}
	conn, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(conn)
	readUntil := func(s string) {
		t.Helper()
		var b strings.Builder
		for !strings.Contains(b.String(), s) {
			c, err := r.ReadByte()
			if err != nil {
				t.Fatalf("reading for %q: %v (got %s)", s, err, b.String())
			}
			b.WriteByte(c)
		}
	}
	io.WriteString(conn, `<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>`)
	readUntil("</stream:features>")
	io.WriteString(conn, `<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`)
	readUntil("<proceed")
	readUntil(">")
	tc := tls.Client(conn, &tls.Config{RootCAs: pool, ServerName: "localhost"})
	if err := tc.Handshake(); err != nil {
		t.Fatalf("TLS handshake trusting only %s: %v", roots, err)
	}
	presented = tc.ConnectionState().PeerCertificates[0]
	cancel()
	if err := <-result; err != nil {
		t.Fatalf("run after cancel: %v", err)
	}
	return logOut.String(), presented
}

// logField returns the value of key in the "mucd: certificate" log line.
func logField(t *testing.T, logs, key string) string {
	t.Helper()
	for _, line := range strings.Split(logs, "\n") {
		if !strings.Contains(line, `msg="mucd: certificate"`) {
			continue
		}
		for _, f := range strings.Fields(line) {
			if v, ok := strings.CutPrefix(f, key+"="); ok {
				return strings.Trim(v, `"`)
			}
		}
	}
	t.Fatalf("no %s in the certificate log line:\n%s", key, logs)
	return ""
}

// TestCertificateKept checks that without -cert mucd makes its certificate
// once in -data-dir and presents the same one after a restart, that a
// client trusting that file (poezio's ca_cert_path) completes the TLS
// handshake, and that the logged SHA-256 fingerprint is the presented
// certificate's.
func TestCertificateKept(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	logs1, cert1 := serveOnce(t, "", "-data-dir", dir)
	logs2, cert2 := serveOnce(t, "", "-data-dir", dir)
	if !strings.Contains(logs1, `generated="none kept"`) || strings.Contains(logs2, "generated=") {
		t.Errorf("want a certificate made at the first start only:\n%s\n%s", logs1, logs2)
	}
	if !cert1.Equal(cert2) {
		t.Error("the restarted server presents another certificate")
	}
	if got, want := logField(t, logs2, "sha256"), tlscert.Fingerprint(cert2); got != want {
		t.Errorf("logged fingerprint %s, presented certificate's %s", got, want)
	}
	if got, want := logField(t, logs2, "pin"), tlscert.Pin(cert2); got != want {
		t.Errorf("logged pin %s, presented certificate's %s", got, want)
	}
	if got, want := logField(t, logs2, "spki_sha256"), tlscert.SPKIFingerprint(cert2); got != want {
		t.Errorf("logged SPKI fingerprint %s, presented certificate's %s", got, want)
	}
}

// TestCertFlags checks -cert and -key: the given certificate is presented
// and nothing is made in -data-dir.
func TestCertFlags(t *testing.T) {
	mine, files, _, err := tlscert.LoadOrCreate(t.TempDir(), tlscert.Names("localhost"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "unused")
	logs, presented := serveOnce(t, files.Cert, "-cert", files.Cert, "-key", files.Key, "-data-dir", dir)
	if !presented.Equal(mine.Leaf) {
		t.Error("mucd does not present the -cert certificate")
	}
	if got := logField(t, logs, "file"); got != files.Cert {
		t.Errorf("logged file %s, want %s", got, files.Cert)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("-data-dir %s was used with -cert: %v", dir, err)
	}
}

func TestLockTimeoutFlag(t *testing.T) {
	for _, tt := range []struct{ flag, want time.Duration }{
		{0, -1}, {-time.Second, -1}, {time.Second, time.Second}, {muc.DefaultLockTimeout, muc.DefaultLockTimeout},
	} {
		if got := mucLockTimeout(tt.flag); got != tt.want {
			t.Errorf("-room-lock-timeout %v gives MUCLockTimeout %v, want %v", tt.flag, got, tt.want)
		}
	}
}

func TestSMResumeFlag(t *testing.T) {
	def := sm.Module{MaxResumption: sm.DefaultMaxResumption, MaxHibernatingTotal: sm.DefaultMaxHibernatingTotal}
	var cfg server.Config
	if err := smConfig(&cfg, def); err != nil || cfg.Without != nil || cfg.Modules != nil {
		t.Fatalf("the default: %v, %v, %v", err, cfg.Without, cfg.Modules)
	}
	for _, tt := range []struct {
		name string
		m    sm.Module
	}{
		{"-sm-resume 1m", sm.Module{MaxResumption: time.Minute, MaxHibernatingTotal: sm.DefaultMaxHibernatingTotal}},
		{"-sm-max-hibernating 5", sm.Module{MaxResumption: sm.DefaultMaxResumption, MaxHibernatingTotal: 5}},
	} {
		cfg := server.Config{}
		if err := smConfig(&cfg, tt.m); err != nil || len(cfg.Without) != 1 || cfg.Without[0] != "sm" ||
			len(cfg.Modules) != 1 || cfg.Modules[0].(sm.Module).MaxResumption != tt.m.MaxResumption ||
			cfg.Modules[0].(sm.Module).MaxHibernatingTotal != tt.m.MaxHibernatingTotal {
			t.Fatalf("%s: %v, %v, %v", tt.name, err, cfg.Without, cfg.Modules)
		}
		srv, err := server.New(cfg)
		if err != nil {
			t.Fatalf("server.New with %s: %v", tt.name, err)
		}
		_ = srv.Close()
	}
	if err := smConfig(&cfg, sm.Module{MaxHibernatingTotal: 1}); err == nil {
		t.Fatal("-sm-resume 0 accepted")
	}
	if err := smConfig(&cfg, sm.Module{MaxResumption: time.Minute}); err == nil {
		t.Fatal("-sm-max-hibernating 0 accepted")
	}
}
