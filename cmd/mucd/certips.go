package main

import (
	"net"
	"slices"
)

// listenIPs returns the IP literals among the hosts of addrs (the XMPP
// and web listening addresses, host:port), each once, for the generated
// certificate to cover as iPAddress names: a client that dials the
// address itself, as xmpp.js's own tests do with wss://127.0.0.1:5281,
// checks the certificate against the IP, not the domain. Unspecified
// addresses (0.0.0.0, ::) name no host a client could check and are left
// out, as are empty addresses and host names.
func listenIPs(addrs ...string) []string {
	var ips []string
	for _, a := range addrs {
		host, _, err := net.SplitHostPort(a)
		if err != nil {
			continue
		}
		ip := net.ParseIP(host)
		if ip == nil || ip.IsUnspecified() || slices.Contains(ips, ip.String()) {
			continue
		}
		ips = append(ips, ip.String())
	}
	return ips
}
