package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/muctest/muctest/client"
	"github.com/muctest/muctest/script"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
	"github.com/muctest/muctest/xmlnode"
)

func TestRecordUsage(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no upstream", []string{"-o", filepath.Join(dir, "a.scs")}, "usage: muctest record"},
		{"no output", []string{"-upstream", "127.0.0.1:5222"}, "usage: muctest record"},
		{"bad upstream", []string{"-upstream", "nowhere", "-o", filepath.Join(dir, "b.scs")}, "upstream"},
		{"unwritable output", []string{"-upstream", "127.0.0.1:5222", "-o", filepath.Join(dir, "missing", "c.scs")}, "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if code := subcommand(append([]string{"record"}, tc.args...), &bytes.Buffer{}, &stderr); code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tc.want)
			}
		})
	}
}

// TestRecordWritesScriptWhenLastClientLeaves runs "muctest record" in front
// of an in-process server: one client logs in through it, talks to itself
// and leaves; the command then writes a script that passes on a fresh
// server, and exits 0.
func TestRecordWritesScriptWhenLastClientLeaves(t *testing.T) {
	srv := servertest.New(t, server.Config{})
	out := filepath.Join(t.TempDir(), "session.scs")
	ready := make(chan net.Addr, 1)
	code := make(chan int, 1)
	var stderr bytes.Buffer
	go func() {
		code <- runRecord([]string{"-listen", "127.0.0.1:0", "-upstream", srv.Addr().String(), "-o", out, "-title", "Self talk"}, &stderr, ready)
	}()
	addr := (<-ready).String()
	c, err := client.Dial(context.Background(), addr, client.Config{JID: "romeo@localhost", Password: "pw", TLS: true, InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	c.Send(xmlnode.New(client.NSClient, "message", "to", c.JID(), "id", "m1", "type", "chat").Append(
		xmlnode.New(client.NSClient, "body").SetText("hello me")))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		st, err := c.RecvContext(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Name.Local == "message" {
			break
		}
	}
	c.Close()
	if got := <-code; got != 0 {
		t.Fatalf("muctest record exited %d:\n%s", got, stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	s, err := script.Parse(out, bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if s.Title != "Self talk" || !bytes.Contains(b, []byte("<body>hello me</body>")) {
		t.Errorf("unexpected script:\n%s", b)
	}
	if res := script.RunInProcess(context.Background(), s, script.DefaultServerConfig(), script.Options{Strict: true}); !res.Passed() {
		t.Fatalf("the script fails: %v\n%s", res.Failure, b)
	}
}

// TestRecordUntilInterrupt: with -until-interrupt the recorder outlives
// its last client and writes the script on SIGINT.
func TestRecordUntilInterrupt(t *testing.T) {
	srv := servertest.New(t, server.Config{})
	out := filepath.Join(t.TempDir(), "session.scs")
	ready := make(chan net.Addr, 1)
	code := make(chan int, 1)
	var stderr bytes.Buffer
	go func() {
		code <- runRecord([]string{"-listen", "127.0.0.1:0", "-upstream", srv.Addr().String(), "-o", out, "-until-interrupt"}, &stderr, ready)
	}()
	addr := (<-ready).String()
	for _, body := range []string{"first", "second"} {
		c, err := client.Dial(context.Background(), addr, client.Config{JID: "romeo@localhost", Password: "pw"})
		if err != nil {
			t.Fatal(err)
		}
		c.Send(xmlnode.New(client.NSClient, "message", "to", c.JID(), "id", body, "type", "chat").Append(
			xmlnode.New(client.NSClient, "body").SetText(body)))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		for {
			st, err := c.RecvContext(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if st.Name.Local == "message" {
				break
			}
		}
		cancel()
		c.Close()
	}
	// The recorder's signal handler is installed before ready is sent.
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if got := <-code; got != 0 {
		t.Fatalf("exit %d:\n%s", got, stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"[Client] Romeo", "[Client] Juliet", "<body>first</body>", "<body>second</body>"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("the script lacks %q:\n%s", want, b)
		}
	}
}
