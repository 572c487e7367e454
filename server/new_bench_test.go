package server

import (
	"testing"
)

// BenchmarkNew is the cost of making a server with the default modules,
// what the in-process scansion runner pays once per script.
func BenchmarkNew(b *testing.B) {
	tlsConf, err := selfSigned("localhost")
	if err != nil {
		b.Fatal(err)
	}
	cfg := Config{AnyPassword: true, Admins: []string{"admin@localhost"}, TLS: tlsConf}
	b.ReportAllocs()
	for b.Loop() {
		s, err := New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		_ = s.Close()
	}
}
