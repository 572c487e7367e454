package client_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/client"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
)

// TestPipelinePlainRealServer logs in to the in-process server with the
// auth sent before the features, and checks that against a server that
// requires STARTTLS (where PipelinePlain must not be used: the password
// went out in the clear) Dial fails saying so.
func TestPipelinePlainRealServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s := servertest.New(t, server.Config{AnyPassword: true})
	c, err := client.Dial(ctx, s.Addr().String(), client.Config{JID: "p@localhost", Password: "x", Resource: "r", PipelinePlain: true})
	if err != nil {
		t.Fatal(err)
	}
	if c.JID() != "p@localhost/r" {
		t.Errorf("JID %q", c.JID())
	}
	if err := c.Close(); err != nil {
		t.Error(err)
	}
	tlsOnly := servertest.New(t, server.Config{AnyPassword: true, RequireTLS: true})
	_, err = client.Dial(ctx, tlsOnly.Addr().String(), client.Config{JID: "p@localhost", Password: "x", PipelinePlain: true, Timeout: 5 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("against RequireTLS: %v", err)
	}
}

// TestPipelinePlainWrongPassword checks that with the whole login in one
// write a refused password still comes back from Dial as the SASL failure,
// not as a timeout or a stream error about the pipelined rest.
func TestPipelinePlainWrongPassword(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s := servertest.New(t, server.Config{Accounts: map[string]string{"p": "right"}})
	_, err := client.Dial(ctx, s.Addr().String(), client.Config{JID: "p@localhost", Password: "wrong", PipelinePlain: true, Timeout: 5 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "not-authorized") {
		t.Fatalf("wrong password: %v, want a not-authorized SASL failure", err)
	}
	c, err := client.Dial(ctx, s.Addr().String(), client.Config{JID: "p@localhost", Password: "right", PipelinePlain: true})
	if err != nil {
		t.Fatalf("right password: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Error(err)
	}
}
