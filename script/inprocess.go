package script

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	crand "crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/muctest/muctest/server"
)

// DefaultServerConfig is the in-process server configuration scripts run
// against, the equivalent of Prosody's scansion test config: any password
// is accepted and admin@localhost is an admin. STARTTLS is offered with a
// self-signed certificate made once per process (a fresh one per server
// cost more than the rest of a typical script).
func DefaultServerConfig() server.Config {
	return server.Config{AnyPassword: true, Admins: []string{"admin@localhost"}, TLS: sharedTLS()}
}

// sharedTLS is a self-signed certificate for localhost, made on first use.
var sharedTLS = sync.OnceValue(func() *tls.Config {
	key, err := ecdsa.GenerateKey(elliptic.P256(), crand.Reader)
	if err != nil {
		return nil // the server then makes its own
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost", "*.localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour * 365),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(crand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
})

// listenLoopback listens on 127.0.0.1 on a port of its own choosing,
// below the ephemeral range. Asking the kernel for any port (":0") makes it
// search the ephemeral range, and with the thousands of connections in
// TIME_WAIT that a suite of short scripts leaves behind, that search was a
// fifth of a script's CPU time. A port taken already is skipped (a few
// tries), and ":0" stays the fallback.
func listenLoopback() (net.Listener, error) {
	for range 8 {
		port := 10000 + rand.IntN(22000)
		if ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))); err == nil {
			return ln, nil
		}
	}
	return net.Listen("tcp", "127.0.0.1:0")
}

// ListenComponents starts the server side of XEP-0114 for an in-process
// server: it accepts external components on ln, each domain of secrets
// with its shared secret, and connects them to srv's router, until the
// returned stop function is called (which closes ln and the component
// streams and waits for them). It is a variable so that the package that
// implements the listener (component/external) plugs in without this
// package depending on it; while it is nil, scripts with a [Component]
// fail in-process with a message saying so.
var ListenComponents func(srv *server.Server, ln net.Listener, secrets map[string]string) (stop func() error, err error)

// InProcess is an in-process server started for one script run.
type InProcess struct {
	// Server is the running server; its WaitIdle lets the runner settle
	// without sleeping.
	Server    *server.Server
	addr      string
	compAddr  string
	stopComps func() error
	domain    string
	done      chan error
}

// StartInProcess starts a server for cfg on 127.0.0.1:0.
func StartInProcess(cfg server.Config) (*InProcess, error) {
	return startInProcess(cfg, nil)
}

// startInProcess starts a server for cfg and, when components is not
// empty, an XEP-0114 listener for them (domain -> secret).
func startInProcess(cfg server.Config, components map[string]string) (srv *InProcess, err error) {
	// A panic in New (a server bug) fails this one script rather than the
	// whole muctest run.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("script: in-process server: %v", p)
		}
	}()
	s, err := server.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("script: in-process server: %w", err)
	}
	ln, err := listenLoopback()
	if err != nil {
		return nil, fmt.Errorf("script: listen: %w", err)
	}
	ip := &InProcess{Server: s, addr: ln.Addr().String(), domain: cfg.Domain, done: make(chan error, 1)}
	go func() { ip.done <- s.Serve(ln) }()
	if len(components) > 0 {
		if ListenComponents == nil {
			ip.Close()
			return nil, errors.New("script: the in-process server has no XEP-0114 component listener (script.ListenComponents is not set in this build)")
		}
		cln, err := listenLoopback()
		if err != nil {
			ip.Close()
			return nil, fmt.Errorf("script: listen for components: %w", err)
		}
		stop, err := ListenComponents(s, cln, components)
		if err != nil {
			cln.Close()
			ip.Close()
			return nil, fmt.Errorf("script: component listener: %w", err)
		}
		ip.compAddr, ip.stopComps = cln.Addr().String(), stop
	}
	return ip, nil
}

// Options returns run options pointing at the server, with its WaitIdle.
func (ip *InProcess) Options(base Options) Options {
	base.Addr = ip.addr
	base.WaitIdle = ip.Server.WaitIdle
	if ip.compAddr != "" {
		base.ComponentAddr = ip.compAddr
	}
	if base.Domain == "" && ip.domain != "" {
		base.Domain = ip.domain
	}
	return base
}

// Close stops the server and waits for it.
func (ip *InProcess) Close() error {
	var cerr error
	if ip.stopComps != nil {
		cerr = ip.stopComps()
	}
	err := ip.Server.Close()
	if serr := <-ip.done; err == nil {
		err = serr
	}
	return errors.Join(cerr, err)
}

// RunInProcess runs s against a fresh in-process server with cfg. The
// script's [Component] objects (those without custom_host or custom_port),
// and opts.Components, are accepted on an XEP-0114 listener started with
// it.
func RunInProcess(ctx context.Context, s *Script, cfg server.Config, opts Options) *Result {
	comps := maps.Clone(opts.Components)
	for _, c := range s.Clients {
		// A component with its own custom_host or custom_port connects
		// elsewhere; the others to this server's listener.
		if c.Component && c.Host == "" && c.Port == 0 {
			if comps == nil {
				comps = map[string]string{}
			}
			comps[c.JID] = c.Password
		}
	}
	ip, err := startInProcess(cfg, comps)
	if err != nil {
		return &Result{Script: s, Failure: &Failure{Path: s.Path, Msg: err.Error()}}
	}
	defer ip.Close()
	return Run(ctx, s, ip.Options(opts))
}

// RunScript runs s as opts say: against the server at opts.Addr, or, when
// it is empty, against a fresh in-process server configured by
// opts.Server (DefaultServerConfig when nil).
func RunScript(ctx context.Context, s *Script, opts Options) *Result {
	if opts.Addr != "" {
		return Run(ctx, s, opts)
	}
	cfg := DefaultServerConfig()
	if opts.Server != nil {
		cfg = *opts.Server
	}
	return RunInProcess(ctx, s, cfg, opts)
}
