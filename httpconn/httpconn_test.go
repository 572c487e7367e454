package httpconn

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestAddrs(t *testing.T) {
	local := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5280}
	tests := []struct {
		name       string
		remote     string
		withLocal  bool
		wantLocal  string
		wantRemote string
		remoteTCP  bool
	}{
		{"ipv4", "192.0.2.7:4000", true, "127.0.0.1:5280", "192.0.2.7:4000", true},
		{"ipv6", "[2001:db8::1]:4000", true, "127.0.0.1:5280", "[2001:db8::1]:4000", true},
		{"no local in context", "192.0.2.7:4000", false, "", "192.0.2.7:4000", true},
		{"unparsable remote", "@pipe", true, "127.0.0.1:5280", "@pipe", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/http-bind", nil)
			r.RemoteAddr = tt.remote
			if tt.withLocal {
				r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, net.Addr(local)))
			}
			l, rem := Addrs(r)
			if l.String() != tt.wantLocal || l.Network() != "tcp" {
				t.Errorf("local = %s %q, want tcp %q", l.Network(), l, tt.wantLocal)
			}
			if rem.String() != tt.wantRemote {
				t.Errorf("remote = %q, want %q", rem, tt.wantRemote)
			}
			if _, ok := rem.(*net.TCPAddr); ok != tt.remoteTCP {
				t.Errorf("remote is a *net.TCPAddr: %v, want %v", ok, tt.remoteTCP)
			}
		})
	}
}

func TestDeadlines(t *testing.T) {
	var d Deadlines
	if !d.ReadDeadline().IsZero() || !d.WriteDeadline().IsZero() {
		t.Fatal("the zero value has deadlines")
	}
	a, b := time.Unix(100, 0), time.Unix(200, 0)
	_ = d.SetDeadline(a)
	if d.ReadDeadline() != a || d.WriteDeadline() != a {
		t.Fatalf("SetDeadline: read %v write %v, want both %v", d.ReadDeadline(), d.WriteDeadline(), a)
	}
	_ = d.SetReadDeadline(b)
	if d.ReadDeadline() != b || d.WriteDeadline() != a {
		t.Fatalf("SetReadDeadline moved the write deadline: read %v write %v", d.ReadDeadline(), d.WriteDeadline())
	}
	_ = d.SetWriteDeadline(time.Time{})
	if d.ReadDeadline() != b || !d.WriteDeadline().IsZero() {
		t.Fatalf("SetWriteDeadline: read %v write %v", d.ReadDeadline(), d.WriteDeadline())
	}
}
