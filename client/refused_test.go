package client

import (
	"context"
	"errors"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

// TestRefusedBeforeHeader: a server that refuses a connection (a cap)
// writes its stream error and closes without reading anything; when that
// happened before the client's header went out, the write fails (here a
// Unix socket's peer gone: EPIPE), and New must report the server's
// stream error rather than the broken pipe.
func TestRefusedBeforeHeader(t *testing.T) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Skipf("socketpair: %v", err)
	}
	f0, f1 := os.NewFile(uintptr(fds[0]), "client"), os.NewFile(uintptr(fds[1]), "server")
	nc, err := net.FileConn(f0)
	f0.Close()
	if err != nil {
		t.Fatal(err)
	}
	refusal := "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' from='localhost' version='1.0'>" +
		"<stream:error><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>"
	if _, err := f1.WriteString(refusal); err != nil {
		t.Fatal(err)
	}
	f1.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	defer nc.Close()
	_, err = New(ctx, nc, Config{JID: "romeo@localhost/r", Password: "pw", PipelinePlain: true})
	var se *StreamError
	if !errors.As(err, &se) || se.Condition != "policy-violation" {
		t.Fatalf("New = %v, want the stream error policy-violation", err)
	}
}
