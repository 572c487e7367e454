package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"io"
	"net"
	"strings"
	"testing"
	"time"
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
	}
	for _, tc := range tests {
		err := run(context.Background(), tc.args, io.Discard, nil)
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
