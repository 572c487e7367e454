package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/muctest/muctest/script"
	"github.com/muctest/muctest/server"
)

// inProcessConfig is the configuration of each script's in-process
// server: script.DefaultServerConfig with one STARTTLS certificate shared
// by every server of the run. A server left to itself generates a key and
// a certificate at New, which was the largest single cost of starting one
// (6% of the whole run's CPU on the corpus); scripts need a certificate
// only to negotiate STARTTLS with -tls, never a distinct one.
func inProcessConfig() server.Config {
	cfg := script.DefaultServerConfig()
	if tc, err := sharedTLS(); err == nil {
		cfg.TLS = tc
	}
	// On error the server generates its own, and reports the same error
	// if it cannot either.
	return cfg
}

// sharedTLS is made once per process. Servers only read a tls.Config, so
// sharing one is safe.
var sharedTLS = sync.OnceValues(func() (*tls.Config, error) {
	return selfSigned("localhost")
})

// selfSigned makes a throwaway ECDSA P-256 certificate for domain and its
// subdomains (conference.localhost), valid for a day; clients accept it
// with -insecure, as test clients do.
func selfSigned(domain string) (*tls.Config, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("tls key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, fmt.Errorf("tls serial: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: domain, Organization: []string{"muctest runner"}},
		DNSNames:     []string{domain, "*." + domain},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("tls certificate: %w", err)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
		MinVersion:   tls.VersionTLS12,
	}, nil
}
