package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/component/external"
	"github.com/muctest/muctest/servertest"
)

func TestComponentFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-component", "nosecret"}, "domain:secret"},
		{[]string{"-component", "bot.localhost:"}, "domain:secret"},
		{[]string{"-addr", "127.0.0.1:0", "-component", "conference.localhost:x"}, "conference.localhost"},
		{[]string{"-addr", "127.0.0.1:0", "-component", "bot.localhost:x", "-component-port", "-1"}, "-component-port"},
	} {
		err := run(context.Background(), tc.args, io.Discard, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run(%q) = %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
}

// TestComponentPort runs mucd -component bot.localhost:s3cret and
// completes an XEP-0114 handshake on its component port.
func TestComponentPort(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	logs := &servertest.LogBuffer{}
	ready := make(chan net.Addr, 1)
	result := make(chan error, 1)
	go func() {
		result <- run(ctx, []string{"-addr", "127.0.0.1:0", "-component", "bot.localhost:s3cret", "-component-port", "0"}, logs, ready)
	}()
	select {
	case <-ready:
	case err := <-result:
		t.Fatalf("run: %v", err)
	}
	m := regexp.MustCompile(`msg="mucd: components" addr=(\S+) domains=bot.localhost`).FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatalf("no components line in the log:\n%s", logs.String())
	}
	nc, err := net.Dial("tcp", m[1])
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(nc, "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='bot.localhost'>")
	d := xml.NewDecoder(nc)
	var id string
	for id == "" {
		tok, err := d.Token()
		if err != nil {
			t.Fatal(err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			for _, a := range se.Attr {
				if a.Name.Local == "id" {
					id = a.Value
				}
			}
		}
	}
	io.WriteString(nc, "<handshake>"+external.Digest(id, "s3cret")+"</handshake>")
	tok, err := d.Token()
	if se, ok := tok.(xml.StartElement); err != nil || !ok || se.Name.Local != "handshake" {
		t.Fatalf("after the handshake: %v %v", tok, err)
	}
	// Shutdown tells the component first.
	cancel()
	rest, _ := io.ReadAll(nc)
	if !bytes.Contains(rest, []byte("<system-shutdown")) {
		t.Errorf("the component got %q at shutdown, want system-shutdown", rest)
	}
	nc.Close()
	if err := <-result; err != nil {
		t.Fatalf("run: %v", err)
	}
}
