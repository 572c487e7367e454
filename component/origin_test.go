package component_test

import (
	"net"
	"net/netip"
	"testing"

	"github.com/muctest/muctest/component"
)

func TestAddrOf(t *testing.T) {
	tests := []struct {
		name string
		addr net.Addr
		want string // "" for invalid
	}{
		{"nil", nil, ""},
		{"tcp4", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2), Port: 5222}, "127.0.0.2"},
		{"tcp4 in 6", &net.TCPAddr{IP: net.ParseIP("::ffff:192.0.2.1"), Port: 1}, "192.0.2.1"},
		{"tcp6", &net.TCPAddr{IP: net.ParseIP("2001:db8::1"), Port: 1}, "2001:db8::1"},
		{"udp", &net.UDPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 9}, "10.0.0.1"},
		{"pipe", pipeAddr{}, ""},
		{"bare ip", ipAddr("198.51.100.4"), "198.51.100.4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := component.AddrOf(tt.addr)
			if tt.want == "" {
				if got.IsValid() {
					t.Fatalf("AddrOf = %v, want invalid", got)
				}
				return
			}
			if got != netip.MustParseAddr(tt.want) {
				t.Fatalf("AddrOf = %v, want %s", got, tt.want)
			}
		})
	}
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }

type ipAddr string

func (ipAddr) Network() string  { return "ip" }
func (a ipAddr) String() string { return string(a) }
