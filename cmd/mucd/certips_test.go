package main

import (
	"slices"
	"testing"
)

func TestListenIPs(t *testing.T) {
	tests := []struct {
		name  string
		addrs []string
		want  []string
	}{
		{"loopback", []string{"127.0.0.1:5222"}, []string{"127.0.0.1"}},
		{"xmpp and https on one IP", []string{"127.0.0.1:5222", "127.0.0.1:5281"}, []string{"127.0.0.1"}},
		{"IPv6", []string{"[::1]:5222", "127.0.0.1:5281"}, []string{"::1", "127.0.0.1"}},
		{"https off", []string{"127.0.0.1:5222", ""}, []string{"127.0.0.1"}},
		{"unspecified", []string{"0.0.0.0:5222", "[::]:5281"}, nil},
		{"host name", []string{"localhost:5222"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := listenIPs(tt.addrs...); !slices.Equal(got, tt.want) {
				t.Errorf("listenIPs(%q) = %q, want %q", tt.addrs, got, tt.want)
			}
		})
	}
}
