package tlscert

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func TestNames(t *testing.T) {
	tests := []struct {
		domain string
		extra  []string
		want   string
	}{
		{"localhost", nil, "localhost *.localhost"},
		{"localhost", []string{"conference.localhost", "", "LOCALHOST"}, "localhost *.localhost conference.localhost"},
		{"example.org", []string{"muc.example.org", "muc.example.org"}, "example.org *.example.org muc.example.org"},
	}
	for _, tt := range tests {
		if got := strings.Join(Names(tt.domain, tt.extra...), " "); got != tt.want {
			t.Errorf("Names(%q, %q) = %q, want %q", tt.domain, tt.extra, got, tt.want)
		}
	}
}

// verifier is a certificate Generate made at t0 and a client's trust in
// it (a pool holding only it, as a client that pinned the file does).
type verifier struct {
	leaf  *x509.Certificate
	roots *x509.CertPool
}

func generated(t *testing.T, names []string) verifier {
	t.Helper()
	cert, err := Generate(names, t0)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert.Leaf)
	return verifier{cert.Leaf, roots}
}

// verify checks the certificate for host at the time at, for server
// authentication, as a TLS client does.
func (v verifier) verify(host string, at time.Time) error {
	_, err := v.leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: v.roots, CurrentTime: at,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	return err
}

// TestGenerateVerifies checks the generated certificate as a client that
// trusts it does: a chain of itself for each name it must cover (the MUC
// domain under a single-label domain is the case the wildcard missed),
// for server authentication, valid at the start and near the end of its
// validity, and refused for other names and outside it.
func TestGenerateVerifies(t *testing.T) {
	v := generated(t, Names("localhost", "conference.localhost"))
	leaf := v.leaf
	tests := []struct {
		name string
		host string
		at   time.Time
		ok   bool
	}{
		{"domain", "localhost", t0, true},
		{"muc domain", "conference.localhost", t0, true},
		{"clock an hour behind", "localhost", t0.Add(-59 * time.Minute), true},
		{"near the end", "localhost", t0.Add(Validity - time.Minute), true},
		{"expired", "localhost", t0.Add(Validity + time.Minute), false},
		{"not yet valid", "localhost", t0.Add(-2 * time.Hour), false},
		{"another domain", "example.org", t0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := v.verify(tt.host, tt.at); (err == nil) != tt.ok {
				t.Errorf("Verify(%s at %v) = %v, want ok %v", tt.host, tt.at, err, tt.ok)
			}
		})
	}
	checks := []struct {
		what string
		ok   bool
	}{
		{"CA (its own trust anchor)", leaf.IsCA && leaf.BasicConstraintsValid},
		{"keyCertSign and digitalSignature", leaf.KeyUsage == x509.KeyUsageCertSign|x509.KeyUsageDigitalSignature},
		{"serverAuth only", len(leaf.ExtKeyUsage) == 1 && leaf.ExtKeyUsage[0] == x509.ExtKeyUsageServerAuth},
		{"common name is the domain", leaf.Subject.CommonName == "localhost"},
		{"subject key id = authority key id", len(leaf.SubjectKeyId) > 0 && string(leaf.SubjectKeyId) == string(leaf.AuthorityKeyId)},
		{"ECDSA", leaf.PublicKeyAlgorithm == x509.ECDSA},
		{"825 days", leaf.NotAfter.Sub(leaf.NotBefore) == Validity+time.Hour},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("certificate is not %s", c.what)
		}
	}
}

func TestFingerprints(t *testing.T) {
	cert, err := Generate([]string{"localhost"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		got  string
		of   []byte
	}{
		{"certificate", Fingerprint(cert.Leaf), cert.Leaf.Raw},
		{"mcabber pin", strings.TrimPrefix(Pin(cert.Leaf), "SHA256:"), cert.Leaf.Raw},
		{"public key", SPKIFingerprint(cert.Leaf), cert.Leaf.RawSubjectPublicKeyInfo},
	} {
		sum := sha256.Sum256(tt.of)
		want := strings.ToUpper(hex.EncodeToString(sum[:]))
		if tt.name == "mcabber pin" {
			if tt.got != strings.ToLower(want) || !strings.HasPrefix(Pin(cert.Leaf), "SHA256:") {
				t.Errorf("pin %s, want SHA256:%s", Pin(cert.Leaf), strings.ToLower(want))
			}
			continue
		}
		if strings.ReplaceAll(tt.got, ":", "") != want || len(tt.got) != 32*3-1 {
			t.Errorf("%s fingerprint %s, want %s with colons", tt.name, tt.got, want)
		}
	}
}

// TestLoadOrCreate checks that the kept certificate is reused across
// starts while it is fit, and replaced (with the reason) when it is not.
func TestLoadOrCreate(t *testing.T) {
	names := Names("localhost", "conference.localhost")
	tests := []struct {
		name   string
		before func(t *testing.T, dir string) // after a first LoadOrCreate at t0
		names  []string
		at     time.Time
		reason string // "" reused; else a prefix of the reason for a new one
	}{
		{name: "restart", at: t0.Add(24 * time.Hour)},
		{name: "shortly before renewal", at: t0.Add(Validity - RenewBefore - time.Minute)},
		{name: "due for renewal", at: t0.Add(Validity - RenewBefore), reason: "expires"},
		{name: "clock before it", at: t0.Add(-2 * time.Hour), reason: "not valid before"},
		{name: "a new name", names: Names("localhost", "muc.localhost"), at: t0, reason: "does not cover muc.localhost"},
		{name: "files removed", before: func(t *testing.T, dir string) { os.Remove(FilesFor(dir, "localhost").Cert) }, at: t0, reason: "none kept"},
		{name: "corrupt certificate", before: func(t *testing.T, dir string) {
			os.WriteFile(FilesFor(dir, "localhost").Cert, []byte("not PEM"), 0o644)
		}, at: t0, reason: "tlscert:"},
		{name: "key of another certificate", before: func(t *testing.T, dir string) {
			other, err := Generate(names, t0)
			if err != nil {
				t.Fatal(err)
			}
			if err := write(Files{Cert: filepath.Join(dir, "x.crt"), Key: FilesFor(dir, "localhost").Key}, other); err != nil {
				t.Fatal(err)
			}
		}, at: t0, reason: "tlscert:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			first, files, reason, err := LoadOrCreate(dir, names, t0)
			if err != nil || reason != "none kept" {
				t.Fatalf("first LoadOrCreate: reason %q, %v", reason, err)
			}
			if fi, err := os.Stat(files.Key); err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("key file %s: %v, mode %v; want 0600", files.Key, err, fi.Mode())
			}
			if tt.before != nil {
				tt.before(t, dir)
			}
			n := names
			if tt.names != nil {
				n = tt.names
			}
			got, _, reason, err := LoadOrCreate(dir, n, tt.at)
			if err != nil {
				t.Fatal(err)
			}
			same := Fingerprint(got.Leaf) == Fingerprint(first.Leaf)
			if tt.reason == "" {
				if !same || reason != "" {
					t.Errorf("kept certificate not reused (reason %q)", reason)
				}
				return
			}
			if same || !strings.HasPrefix(reason, tt.reason) {
				t.Errorf("reason %q (new certificate: %v), want a new one because %q", reason, !same, tt.reason)
			}
			// The new one is kept: the next start reuses it.
			again, _, reason, err := LoadOrCreate(dir, n, tt.at)
			if err != nil || reason != "" || Fingerprint(again.Leaf) != Fingerprint(got.Leaf) {
				t.Errorf("the replacement was not kept: reason %q, %v", reason, err)
			}
		})
	}
}

// TestHandshake serves the kept files over TLS and connects as a client
// that trusts the certificate file (what poezio's ca_cert_path does), for
// each name.
func TestHandshake(t *testing.T) {
	dir := t.TempDir()
	names := Names("localhost", "conference.localhost")
	_, files, _, err := LoadOrCreate(dir, names, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cert, err := Load(files.Cert, files.Key)
	if err != nil {
		t.Fatal(err)
	}
	pemBytes, err := os.ReadFile(files.Cert)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pemBytes) {
		t.Fatal("certificate file is not PEM")
	}
	for _, host := range []string{"localhost", "conference.localhost", "example.org"} {
		t.Run(host, func(t *testing.T) {
			c, s := net.Pipe()
			defer c.Close()
			defer s.Close()
			srv := tls.Server(s, ServerConfig(cert))
			done := make(chan error, 1)
			go func() { done <- srv.Handshake() }()
			err := tls.Client(c, &tls.Config{RootCAs: roots, ServerName: host}).Handshake()
			c.Close()
			<-done
			if (err == nil) != (host != "example.org") {
				t.Errorf("handshake for %s: %v", host, err)
			}
		})
	}
}

// TestXMPPIdentities reads the subjectAltName back as a client that checks
// RFC 6120 identities does: the DNS-IDs, the client SRV-ID of the domain
// and an XmppAddr per name that is not a wildcard.
func TestXMPPIdentities(t *testing.T) {
	cert, err := Generate(Names("localhost", "conference.localhost"), t0)
	if err != nil {
		t.Fatal(err)
	}
	var ext []byte
	for _, e := range cert.Leaf.Extensions {
		if e.Id.Equal(oidSubjectAltName) {
			ext = e.Value
		}
	}
	var gns []asn1.RawValue
	if rest, err := asn1.Unmarshal(ext, &gns); err != nil || len(rest) > 0 {
		t.Fatalf("subjectAltName: %v (%d bytes left)", err, len(rest))
	}
	var got []string
	for _, gn := range gns {
		switch {
		case gn.Class == asn1.ClassContextSpecific && gn.Tag == 2:
			got = append(got, "DNS:"+string(gn.Bytes))
		case gn.Class == asn1.ClassContextSpecific && gn.Tag == 0:
			// otherName: type-id, then [0] EXPLICIT value.
			var id asn1.ObjectIdentifier
			rest, err := asn1.Unmarshal(gn.Bytes, &id)
			if err != nil {
				t.Fatalf("otherName type-id %x: %v", gn.Bytes, err)
			}
			var wrapper, value asn1.RawValue
			if _, err := asn1.Unmarshal(rest, &wrapper); err != nil || wrapper.Class != asn1.ClassContextSpecific || wrapper.Tag != 0 {
				t.Fatalf("otherName value %x: %v", rest, err)
			}
			if _, err := asn1.Unmarshal(wrapper.Bytes, &value); err != nil {
				t.Fatalf("otherName value %x: %v", wrapper.Bytes, err)
			}
			on := struct {
				ID    asn1.ObjectIdentifier
				Value asn1.RawValue
			}{id, value}
			text := string(value.Bytes)
			switch {
			case on.ID.Equal(oidDNSSRV) && on.Value.Tag == asn1.TagIA5String:
				got = append(got, "SRV:"+text)
			case on.ID.Equal(oidXmppAddr) && on.Value.Tag == asn1.TagUTF8String:
				got = append(got, "XmppAddr:"+text)
			default:
				t.Errorf("unexpected otherName %v tag %d", on.ID, on.Value.Tag)
			}
		default:
			t.Errorf("unexpected GeneralName class %d tag %d", gn.Class, gn.Tag)
		}
	}
	want := "DNS:localhost DNS:*.localhost DNS:conference.localhost SRV:_xmpp-client.localhost XmppAddr:localhost XmppAddr:conference.localhost"
	if strings.Join(got, " ") != want {
		t.Errorf("identities\n%s\nwant\n%s", strings.Join(got, " "), want)
	}
}
