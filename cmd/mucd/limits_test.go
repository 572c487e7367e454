package main

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/servertest"
)

// TestNoDefaultAdmin checks that mucd in its default any-password mode
// makes nobody an admin (anyone could log in as one) and says so at start,
// and warns when -admins names some anyway.
func TestNoDefaultAdmin(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "no admins"},
		{[]string{"-admins", "boss@localhost"}, "anyone can log in as the admins"},
	} {
		var logs servertest.LogBuffer
		ctx, cancel := context.WithCancel(context.Background())
		ready := make(chan net.Addr, 1)
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, append([]string{"-addr", "127.0.0.1:0", "-no-tls"}, tc.args...), &logs, ready)
		}()
		select {
		case <-ready:
		case err := <-done:
			t.Fatalf("run: %v", err)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("run after cancel: %v", err)
		}
		if !strings.Contains(logs.String(), tc.want) {
			t.Errorf("mucd %q: log lacks %q:\n%s", tc.args, tc.want, logs.String())
		}
	}
}

// TestConnectionCapFlag checks that -max-conns-per-ip reaches the server:
// with a cap of one, a second connection gets a policy-violation stream
// error without sending anything.
func TestConnectionCapFlag(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first, done := start(t, ctx, "-addr", "127.0.0.1:0", "-no-tls", "-max-conns-per-ip", "1")
	second, err := net.Dial("tcp", first.RemoteAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	_ = second.SetDeadline(time.Now().Add(10 * time.Second))
	got, _ := io.ReadAll(second)
	if !strings.Contains(string(got), "<policy-violation") {
		t.Errorf("a second connection with -max-conns-per-ip 1 got %q, want a policy-violation stream error", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run after cancel: %v", err)
	}
}
