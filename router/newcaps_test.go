package router_test

import (
	"net"
	"testing"

	"github.com/muctest/muctest/c2s"
	"github.com/muctest/muctest/router"
)

func TestAccountsMadeOnTheFlyAreCapped(t *testing.T) {
	addr := func(ip string) net.Addr { return &net.TCPAddr{IP: net.ParseIP(ip), Port: 4000} }
	tests := []struct {
		name         string
		max, perAddr int
		logins       []string // remote IPs of first logins, one new name each
		want         []bool
	}{
		{"no per-address cap", 0, 0, []string{"10.0.0.1", "10.0.0.1", "10.0.0.1"}, []bool{true, true, true}},
		{"per address", 0, 2, []string{"10.0.0.1", "10.0.0.1", "10.0.0.1", "10.0.0.2"}, []bool{true, true, false, true}},
		{"in all", 2, 0, []string{"10.0.0.1", "10.0.0.2", "10.0.0.3"}, []bool{true, true, false}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := router.New(router.Config{Domain: "localhost", AnyPassword: true, MaxAccounts: tc.max, NewAccountsPerIPPerMinute: tc.perAddr})
			if err != nil {
				t.Fatal(err)
			}
			auth := r.Auth().(c2s.AddrAuthenticator)
			for i, ip := range tc.logins {
				name := "user" + string(rune('a'+i))
				if got := auth.CheckPlainFrom(addr(ip), name, "pw"); got != tc.want[i] {
					t.Errorf("login %d (%s from %s) = %v, want %v", i, name, ip, got, tc.want[i])
				}
			}
			// An existing account logs in whatever the caps.
			if !auth.CheckPlainFrom(addr(tc.logins[0]), "usera", "pw") {
				t.Errorf("existing account refused")
			}
		})
	}
}
