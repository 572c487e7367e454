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
	"slices"
	"strconv"
	"strings"
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
	return server.Config{AnyPassword: true, Admins: []string{"admin@localhost"}, TLS: sharedTLS(), Services: prosodyServices()}
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
//
// Accepted connections get no TCP keep-alive probes (four setsockopt calls
// each otherwise): a script's streams live for milliseconds on loopback.
// Nor is the listener Multipath TCP (Go's default where the kernel has
// it), which only adds the kernel's fallback work for every plain TCP
// client.
func listenLoopback() (net.Listener, error) {
	lc := net.ListenConfig{KeepAlive: -1}
	lc.SetMultipathTCP(false)
	ctx := context.Background()
	for range 8 {
		port := 10000 + rand.IntN(22000)
		if ln, err := lc.Listen(ctx, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))); err == nil {
			return ln, nil
		}
	}
	return lc.Listen(ctx, "tcp", "127.0.0.1:0")
}

// ListenComponents, when set, replaces the in-process server's own XEP-0114
// listener (server.Config.Components, package component/external) for
// scripts with [Component] objects. It is called before server.New with the
// configuration (which it may extend, e.g. with a module that mounts each
// component domain) and the components to accept, domain -> shared secret.
// It returns serve, which the runner calls in a goroutine on a loopback
// listener once the server runs (it returns when stop is called), and stop,
// which closes the listener and the component streams. Tests use it to put
// a fake listener in place.
var ListenComponents func(cfg *server.Config, secrets map[string]string) (serve func(net.Listener) error, stop func() error, err error)

// InProcess is an in-process server started for one script run.
type InProcess struct {
	// Server is the running server; its WaitIdle lets the runner settle
	// without sleeping.
	Server    *server.Server
	addr      string
	local     *localListener // the clients' listener, when local
	compAddr  string
	stopComps func() error
	compDone  chan error
	compLn    net.Listener
	domain    string
	done      chan error
}

// StartInProcess starts a server for cfg on 127.0.0.1:0.
func StartInProcess(cfg server.Config) (*InProcess, error) {
	return startInProcess(cfg, nil, false)
}

// startInProcess starts a server for cfg and, when components is not
// empty, an XEP-0114 listener for them (domain -> secret). With local, the
// clients come over in-memory pairs (local.go) that only the run's own
// runner can make; TCP on loopback otherwise.
func startInProcess(cfg server.Config, components map[string]string, local bool) (srv *InProcess, err error) {
	// A panic in New (a server bug) fails this one script rather than the
	// whole muctest run.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("script: in-process server: %v", p)
		}
	}()
	var serveComps func(net.Listener) error
	var stopComps func() error
	builtin := len(components) > 0 && ListenComponents == nil
	switch {
	case builtin:
		// The server's own XEP-0114 listener (server.Config.Components).
		all := maps.Clone(cfg.Components)
		if all == nil {
			all = map[string]string{}
		}
		maps.Copy(all, components)
		cfg.Components = all
	case len(components) > 0:
		if serveComps, stopComps, err = ListenComponents(&cfg, components); err != nil {
			return nil, fmt.Errorf("script: component listener: %w", err)
		}
	}
	s, err := server.New(cfg)
	if err != nil {
		if stopComps != nil {
			_ = stopComps()
		}
		return nil, fmt.Errorf("script: in-process server: %w", err)
	}
	if builtin {
		// Close stops the components with the server.
		serveComps, stopComps = s.ServeComponents, func() error { return nil }
	}
	var ln net.Listener
	var lln *localListener
	if local {
		lln = newLocalListener()
		ln = lln
	} else {
		ln, err = listenLoopback()
	}
	if err != nil {
		_ = s.Close()
		if stopComps != nil {
			_ = stopComps()
		}
		return nil, fmt.Errorf("script: listen: %w", err)
	}
	ip := &InProcess{Server: s, addr: ln.Addr().String(), local: lln, domain: cfg.Domain, done: make(chan error, 1)}
	go func() { ip.done <- s.Serve(ln) }()
	if serveComps != nil {
		cln, err := listenLoopback()
		if err != nil {
			_ = stopComps()
			ip.Close()
			return nil, fmt.Errorf("script: listen for components: %w", err)
		}
		ip.compAddr, ip.stopComps, ip.compDone, ip.compLn = cln.Addr().String(), stopComps, make(chan error, 1), cln
		go func() { ip.compDone <- serveComps(cln) }()
	}
	return ip, nil
}

// Options returns run options pointing at the server, with its WaitIdle.
func (ip *InProcess) Options(base Options) Options {
	base.Addr = ip.addr
	base.WaitIdle = ip.Server.WaitIdle
	base.connBytes = ip.Server.ConnBytes
	base.waitHandled = ip.Server.WaitHandled
	base.waitRead = ip.Server.WaitRead
	base.waitSettled = ip.Server.WaitSettled
	if ip.local != nil {
		base.dialLocal = ip.local.dial
	}
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
		_ = ip.compLn.Close() // in case stop ran before serve took the listener
		<-ip.compDone         // Serve's own error after stop is not news
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
	ip, err := startInProcess(cfg, comps, localEligible(s))
	if err != nil {
		return &Result{Script: s, Failure: &Failure{Path: s.Path, Msg: err.Error()}}
	}
	defer ip.Close()
	opts.plainFirst = offersPlainFirst(cfg, opts)
	return Run(ctx, s, ip.Options(opts))
}

// offersPlainFirst reports whether clients may send their PLAIN auth
// before the server's features: the server offers PLAIN without requiring
// STARTTLS, and the run would pick PLAIN anyway.
func offersPlainFirst(cfg server.Config, opts Options) bool {
	if cfg.RequireTLS || opts.TLS {
		return false
	}
	if m := opts.Mechanism; m != "" && !strings.HasPrefix(strings.ToUpper(strings.TrimSpace(m)), "PLAIN") {
		return false
	}
	if len(cfg.Mechanisms) == 0 {
		return true
	}
	return slices.Contains(cfg.Mechanisms, "PLAIN")
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
