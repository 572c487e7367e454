// Package tlscert makes and keeps the certificate a development XMPP server
// presents for STARTTLS (RFC 6120 section 5), in the form real clients
// accept once the user trusts it: RFC 5280 certificates checked the RFC
// 6125 / RFC 7590 way, by the DNS names they hold.
//
// Why clients refused the earlier throwaway certificate (checked with
// OpenSSL 3.0 and GnuTLS 3.7, the stacks of poezio and mcabber, and poezio's
// source):
//
//   - It was made afresh at every start and never written anywhere, so
//     there was nothing a user could trust: poezio (slixmpp, Python's ssl)
//     verifies the chain and the host name whatever ignore_certificate says
//     (that option only skips its own fingerprint pinning; a chain error
//     always disconnects), and its ca_cert_path needs a file; mcabber
//     (GnuTLS) reports an unknown issuer, and its ssl_fingerprint pin
//     changed at every restart, which left ssl_ignore_checks.
//     LoadOrCreate keeps the certificate in a directory and reuses it while
//     it is valid and covers the names, so an imported file or an accepted
//     fingerprint survives a restart.
//   - Its only subdomain name was the wildcard *.localhost, which neither
//     OpenSSL nor GnuTLS lets cover a name under a single-label domain:
//     conference.localhost did not verify. The names are listed one by one.
//
// The certificate is self-signed and marked as a CA (basic constraints
// critical, keyCertSign, its own subject and authority key identifier), so
// that it is a trust anchor by the book (RFC 5280 section 4.2.1.9) and
// passes X509_STRICT checks (Python 3.13's default), and it is a server
// certificate: extended key usage serverAuth, the domain as common name
// (older clients compare only that), and the identities of RFC 6120
// section 13.7.1.2: a DNS-ID for the domain and each service name given,
// the domain's client SRV-ID and XmppAddr identities. ECDSA P-256 (fast to make and to use, accepted by every
// maintained TLS stack). Valid from an hour ago (clock skew) for 825 days,
// the longest Apple's platforms accept for a TLS server certificate.
package tlscert

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Validity is how long a generated certificate is valid.
const Validity = 825 * 24 * time.Hour

// RenewBefore is how long before its expiry LoadOrCreate replaces a kept
// certificate, so that a server started on one day does not stop working
// for its clients the next.
const RenewBefore = 30 * 24 * time.Hour

// Names returns the DNS names a server for domain presents: the domain,
// a wildcard for its subdomains (the MUC service and other components),
// then extra, without duplicates.
func Names(domain string, extra ...string) []string {
	names := []string{domain}
	if !strings.HasPrefix(domain, "*.") {
		names = append(names, "*."+domain)
	}
	for _, n := range extra {
		if n != "" && !contains(names, n) {
			names = append(names, n)
		}
	}
	return names
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// Generate makes a self-signed certificate and key for names (see Names;
// the first is the common name), valid from now. A name that is an IP
// literal is certified as an iPAddress rather than a DNS name.
func Generate(names []string, now time.Time) (tls.Certificate, error) {
	if len(names) == 0 {
		return tls.Certificate{}, errors.New("tlscert: no name to certify")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tlscert: key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tlscert: serial: %w", err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tlscert: public key: %w", err)
	}
	ski := sha1.Sum(pub) // RFC 5280 section 4.2.1.2, method (1) in spirit: an identifier, not a security check
	san, err := subjectAltNames(names)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: names[0], Organization: []string{"muctest development server"}},
		ExtraExtensions:       []pkix.Extension{san},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(Validity),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true, // it signs nothing but itself
		SubjectKeyId:          ski[:],
		AuthorityKeyId:        ski[:],
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tlscert: certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tlscert: reading back the certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// Files are where LoadOrCreate keeps a certificate: PEM files named after
// the domain inside the data directory.
type Files struct {
	Cert, Key string
}

// FilesFor returns the files of domain's certificate in dir.
func FilesFor(dir, domain string) Files {
	base := strings.NewReplacer("/", "_", "\\", "_", "*", "_").Replace(domain)
	return Files{Cert: filepath.Join(dir, base+".crt"), Key: filepath.Join(dir, base+".key")}
}

// LoadOrCreate returns the certificate kept in dir for names (names[0] is
// the domain, see Names), or generates one and writes it there (the
// directory is created, the key is readable by its owner only) when there
// is none, or the kept one is unreadable, expires within RenewBefore or
// does not cover every name. reason says why a new one was made ("" when
// the kept one is reused), for the log.
func LoadOrCreate(dir string, names []string, now time.Time) (cert tls.Certificate, files Files, reason string, err error) {
	if len(names) == 0 {
		return tls.Certificate{}, Files{}, "", errors.New("tlscert: no name to certify")
	}
	files = FilesFor(dir, names[0])
	cert, err = Load(files.Cert, files.Key)
	switch {
	case errors.Is(err, os.ErrNotExist):
		reason = "none kept"
	case err != nil:
		reason = err.Error()
	default:
		reason = Check(cert.Leaf, names, now)
		if reason == "" {
			return cert, files, "", nil
		}
	}
	cert, err = Generate(names, now)
	if err != nil {
		return tls.Certificate{}, files, reason, err
	}
	if err := write(files, cert); err != nil {
		return tls.Certificate{}, files, reason, err
	}
	return cert, files, reason, nil
}

// Check returns why leaf is no longer fit to serve names at now, or "".
func Check(leaf *x509.Certificate, names []string, now time.Time) string {
	if now.Before(leaf.NotBefore) {
		return "not valid before " + leaf.NotBefore.UTC().Format(time.RFC3339)
	}
	if !now.Add(RenewBefore).Before(leaf.NotAfter) {
		return "expires " + leaf.NotAfter.UTC().Format(time.RFC3339)
	}
	// Each name listed as such: Go's VerifyHostname would let *.localhost
	// cover conference.localhost, which OpenSSL and GnuTLS do not.
	for _, n := range names {
		if ip := certIP(n); ip != nil {
			if !slices.ContainsFunc(leaf.IPAddresses, ip.Equal) {
				return "does not cover " + n
			}
		} else if !contains(leaf.DNSNames, n) {
			return "does not cover " + n
		}
	}
	return ""
}

// certIP returns n as the address an iPAddress name holds (4 bytes for
// IPv4, 16 for IPv6), or nil when n is a DNS name. Names may hold IP
// literals: mucd adds the host of its listening address, so that a client
// dialling it by address (ws://127.0.0.1:5280, as xmpp.js's integration
// tests do) can verify the certificate.
func certIP(n string) net.IP {
	ip := net.ParseIP(n)
	if ip == nil {
		return nil
	}
	if v4 := ip.To4(); v4 != nil {
		return v4
	}
	return ip
}

// Load reads a PEM certificate chain and its key (mucd -cert and -key),
// with the leaf parsed.
func Load(certFile, keyFile string) (tls.Certificate, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tlscert: %w", err)
	}
	if cert.Leaf == nil {
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return tls.Certificate{}, fmt.Errorf("tlscert: %s: %w", certFile, err)
		}
	}
	return cert, nil
}

// write stores cert in files, the key first and private, each through a
// temporary file renamed into place so that a crash leaves no half file.
func write(files Files, cert tls.Certificate) error {
	if err := os.MkdirAll(filepath.Dir(files.Cert), 0o700); err != nil {
		return fmt.Errorf("tlscert: data directory: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		return fmt.Errorf("tlscert: key: %w", err)
	}
	var certPEM bytes.Buffer
	for _, der := range cert.Certificate {
		_ = pem.Encode(&certPEM, &pem.Block{Type: "CERTIFICATE", Bytes: der})
	}
	if err := writeFile(files.Key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return err
	}
	return writeFile(files.Cert, certPEM.Bytes(), 0o644)
}

func writeFile(name string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), filepath.Base(name)+".tmp*")
	if err != nil {
		return fmt.Errorf("tlscert: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename, a no-op
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return fmt.Errorf("tlscert: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("tlscert: writing %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("tlscert: writing %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return fmt.Errorf("tlscert: %w", err)
	}
	return nil
}

// Fingerprint is the SHA-256 of the certificate (DER), as colon-separated
// upper-case hex: what `openssl x509 -fingerprint -sha256` and gnutls-cli
// print.
func Fingerprint(leaf *x509.Certificate) string {
	sum := sha256.Sum256(leaf.Raw)
	return colonHex(sum[:])
}

// Pin is the same SHA-256 as "SHA256:" and lower-case hex, the form
// mcabber's ssl_fingerprint takes (it refuses the colon form).
func Pin(leaf *x509.Certificate) string {
	sum := sha256.Sum256(leaf.Raw)
	return "SHA256:" + hex.EncodeToString(sum[:])
}

// SPKIFingerprint is the SHA-256 of the certificate's public key
// (SubjectPublicKeyInfo), in the same form: what poezio pins (its
// "certificate" option).
func SPKIFingerprint(leaf *x509.Certificate) string {
	sum := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)
	return colonHex(sum[:])
}

func colonHex(b []byte) string {
	const digits = "0123456789ABCDEF"
	out := make([]byte, 0, len(b)*3)
	for i, c := range b {
		if i > 0 {
			out = append(out, ':')
		}
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// ServerConfig is the tls.Config a server presents cert with: TLS 1.2 at
// least (RFC 7590 section 3.1 recommends no older).
func ServerConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
}

// Object identifiers of the XMPP identities in a subjectAltName.
var (
	oidSubjectAltName = asn1.ObjectIdentifier{2, 5, 29, 17}
	oidXmppAddr       = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 8, 5} // RFC 6120 section 13.7.1.4
	oidDNSSRV         = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 8, 7} // RFC 4985
)

// subjectAltNames is the subjectAltName extension for names, with the
// identities RFC 6120 section 13.7.1.2 asks of an XMPP server certificate:
// a DNS-ID for every name, the SRV-ID of the client service
// (_xmpp-client.domain, RFC 6120 section 13.7.1.2.1) for the domain
// (names[0]), and an XmppAddr (the RFC 3920 identity older clients look
// for) for every name that is not a wildcard. crypto/x509 has no field for
// the last two, hence the extension written here, DNS names included.
func subjectAltNames(names []string) (pkix.Extension, error) {
	var gns []asn1.RawValue
	for _, n := range names {
		if ip := certIP(n); ip != nil {
			// iPAddress [7]: the 4 or 16 bytes of the address (RFC 5280
			// section 4.2.1.6), what a client dialling the IP checks.
			gns = append(gns, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 7, Bytes: ip})
			continue
		}
		gns = append(gns, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 2, Bytes: []byte(n)})
	}
	type identity struct {
		oid  asn1.ObjectIdentifier
		tag  int
		text string
	}
	ids := []identity{{oidDNSSRV, asn1.TagIA5String, "_xmpp-client." + names[0]}}
	for _, n := range names {
		if !strings.HasPrefix(n, "*.") && certIP(n) == nil {
			ids = append(ids, identity{oidXmppAddr, asn1.TagUTF8String, n})
		}
	}
	for _, id := range ids {
		gn, err := otherName(id.oid, id.tag, id.text)
		if err != nil {
			return pkix.Extension{}, err
		}
		gns = append(gns, gn)
	}
	der, err := asn1.Marshal(gns)
	if err != nil {
		return pkix.Extension{}, fmt.Errorf("tlscert: subjectAltName: %w", err)
	}
	return pkix.Extension{Id: oidSubjectAltName, Value: der}, nil
}

// otherName is the GeneralName otherName [0] { type-id, [0] EXPLICIT value }
// (RFC 5280 section 4.2.1.6) holding text as a string of ASN.1 type tag.
func otherName(oid asn1.ObjectIdentifier, tag int, text string) (asn1.RawValue, error) {
	id, err := asn1.Marshal(oid)
	if err != nil {
		return asn1.RawValue{}, fmt.Errorf("tlscert: otherName: %w", err)
	}
	value, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: tag, Bytes: []byte(text)})
	if err != nil {
		return asn1.RawValue{}, fmt.Errorf("tlscert: otherName: %w", err)
	}
	explicit, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: value})
	if err != nil {
		return asn1.RawValue{}, fmt.Errorf("tlscert: otherName: %w", err)
	}
	return asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: append(id, explicit...)}, nil
}
