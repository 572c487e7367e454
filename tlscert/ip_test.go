package tlscert

import (
	"net"
	"testing"
)

// TestIPNames: an IP literal among the names (mucd's -addr host) is
// certified as an iPAddress, not a DNS name, so that a client dialling
// wss://127.0.0.1:5281 (xmpp.js's own integration test does) verifies the
// certificate; and Check asks a kept certificate for it.
func TestIPNames(t *testing.T) {
	names := Names("localhost", "conference.localhost", "127.0.0.1", "::1")
	v := generated(t, names)
	leaf := v.leaf
	tests := []struct {
		host string
		ok   bool
	}{
		{"127.0.0.1", true},
		{"::1", true},
		{"localhost", true},
		{"conference.localhost", true},
		{"127.0.0.2", false},
		{"10.0.0.1", false},
	}
	for _, tt := range tests {
		if err := v.verify(tt.host, t0); (err == nil) != tt.ok {
			t.Errorf("Verify(%s) = %v, want ok %v", tt.host, err, tt.ok)
		}
	}
	for _, n := range leaf.DNSNames {
		if net.ParseIP(n) != nil {
			t.Errorf("IP %s certified as a DNS name", n)
		}
	}
	if why := Check(leaf, names, t0); why != "" {
		t.Errorf("Check of its own names: %s", why)
	}
	old, err := Generate(Names("localhost", "conference.localhost"), t0)
	if err != nil {
		t.Fatal(err)
	}
	if why := Check(old.Leaf, names, t0); why != "does not cover 127.0.0.1" {
		t.Errorf("Check of a certificate without the IP = %q, want it to say the IP is not covered", why)
	}
}
