package main

import (
	"net"
	"strings"
	"testing"
)

// TestBaseURL: the URL modules hand out (upload slots) names the port
// actually bound, even for port 0, and a host clients can reach.
func TestBaseURL(t *testing.T) {
	for _, tc := range []struct {
		plain, secure string
		want          string // with PORT for the port bound
	}{
		{"", "", ""},
		{"127.0.0.1:0", "", "http://127.0.0.1:PORT"},
		{"", "127.0.0.1:0", "https://127.0.0.1:PORT"},
		{"127.0.0.1:0", "127.0.0.1:0", "https://127.0.0.1:PORT"}, // the secure one when both
		{"localhost:0", "", "http://localhost:PORT"},
		{":0", "", "http://example.net:PORT"},
		{"0.0.0.0:0", "", "http://example.net:PORT"},
		{"[::1]:0", "", "http://[::1]:PORT"},
	} {
		t.Run(tc.plain+"|"+tc.secure, func(t *testing.T) {
			wl, err := listenHTTP(&httpFlags{plain: tc.plain, secure: tc.secure})
			if err != nil {
				if strings.Contains(tc.plain, "::1") {
					t.Skipf("no IPv6 loopback: %v", err)
				}
				t.Fatal(err)
			}
			if wl == nil {
				if tc.want != "" {
					t.Fatalf("no listeners, want %s", tc.want)
				}
				return
			}
			defer wl.close()
			ln := wl.plain
			if wl.secure != nil {
				ln = wl.secure
			}
			_, port, _ := net.SplitHostPort(ln.Addr().String())
			if port == "0" {
				t.Fatalf("listener on port 0: %v", ln.Addr())
			}
			want := strings.Replace(tc.want, "PORT", port, 1)
			if got := wl.baseURL("example.net"); got != want {
				t.Errorf("baseURL = %q, want %q", got, want)
			}
		})
	}
}
