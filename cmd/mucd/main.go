// Command mucd is the standalone development server: the muctest XMPP server
// (RFC 6120/6121 client connections, XEP-0045 MUC at conference.<domain>)
// listening on a TCP address, for trying clients against it by hand.
//
//	go run ./cmd/mucd                        # 127.0.0.1:5222, any password
//	go run ./cmd/mucd -user alice:secret -user bob:hunter2 -require-tls -v
//
// With no -user flags every login succeeds and creates its account (the
// test mode of Prosody's scansion config); -any-password keeps that mode
// even with -user accounts.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/muctest/muctest/c2s"
	"github.com/muctest/muctest/mod/pep"
	"github.com/muctest/muctest/mod/sm"
	"github.com/muctest/muctest/muc"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/tlscert"
	"github.com/muctest/muctest/upload"
)

// DefaultIdleTimeout is mucd's -idle-timeout: longer than the keepalive
// interval of common clients (whitespace or XEP-0199 pings every few
// minutes), short enough that a silent connection does not stay for hours.
const DefaultIdleTimeout = 15 * time.Minute

// userFlags collects repeated -user name:password flags.
type userFlags map[string]string

func (u userFlags) String() string { return fmt.Sprint(map[string]string(u)) }

func (u userFlags) Set(v string) error {
	name, pass, ok := strings.Cut(v, ":")
	if !ok || name == "" {
		return errors.New("want name:password")
	}
	u[name] = pass
	return nil
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "mucd:", err)
		os.Exit(1)
	}
}

// run parses args, serves until ctx ends, then shuts down cleanly. Logs go
// to logOut; ready, when set, receives the listening address (for tests),
// then those of -http and -https, in that order, when set.
func run(ctx context.Context, args []string, logOut io.Writer, ready chan<- net.Addr) error {
	fs := flag.NewFlagSet("mucd", flag.ContinueOnError)
	fs.SetOutput(logOut)
	addr := fs.String("addr", "127.0.0.1:5222", "TCP address to listen on")
	domain := fs.String("domain", "localhost", "the server's XMPP domain")
	users := userFlags{}
	fs.Var(users, "user", "an account as name:password (repeatable)")
	anyPassword := fs.Bool("any-password", false, "accept any password and create accounts on first login (default when no -user is given)")
	requireTLS := fs.Bool("require-tls", false, "require STARTTLS before authentication")
	noTLS := fs.Bool("no-tls", false, "do not offer STARTTLS")
	certFile := fs.String("cert", "", "PEM certificate (chain) for STARTTLS; with -key. Without them a self-signed one is kept in -data-dir")
	keyFile := fs.String("key", "", "PEM private key of -cert")
	dataDir := fs.String("data-dir", defaultDataDir(), "where the generated certificate is kept, so that clients' trust in it survives a restart")
	uploadDir := fs.String("upload-dir", "", "keep XEP-0363 uploads in this directory instead of in memory")
	uploadMax := fs.Int64("upload-max-file-size", 0, "largest XEP-0363 upload in bytes (0: 10 MB, as Prosody's scansion configuration)")
	uploadTotal := fs.Int64("upload-total", 0, "bytes of all uploads and reserved slots together (0: 64 MiB in memory, 256 MiB with -upload-dir)")
	var uploadRates upload.Config
	addUploadRateFlags(fs, &uploadRates) // uploadflags.go
	mechs := fs.String("sasl", "", "comma-separated SASL mechanisms to offer (default: all with -user accounts, PLAIN only with any password)")
	admins := fs.String("admins", "", "comma-separated admin bare JIDs (none by default: in any-password mode anyone could log in as one)")
	smartMAM := fs.Bool("mam-smart-enable", false, "start an account's message archive (XEP-0313) only once its client has used MAM, as Prosody's mam_smart_enable in its scansion configuration (default: archive every account from the start, as Prosody's default policy)")
	pubsubCreate := fs.String("pubsub-create", "local", "who may create nodes on the pubsub service: local (every account of -domain, as ejabberd) or admins (only -admins, as Prosody's test configuration)")
	allowReg := fs.Bool("allow-registration", false, "let clients create accounts in-band before logging in (XEP-0077), as Prosody's allow_registration")
	verbose := fs.Bool("v", false, "log every stanza in and out (debug level)")
	comps := componentFlags{}
	fs.Var(comps, "component", "an XEP-0114 external component allowed to connect, as domain:secret (repeatable)")
	componentPort := fs.Int("component-port", 5347, "TCP port (on the host of -addr) for external components, with -component")
	// Limits for a server others can reach; the defaults suit a test server.
	maxStanza := fs.Int64("max-stanza", 0, "largest stanza in bytes (0: the c2s default, 256 KiB)")
	maxQueueTotal := fs.Int64("max-queue-total-bytes", 0, "bytes queued for clients, past 16 KiB of each queue, over every client together; a client past it is dropped as too slow (0: the c2s default, 64 MiB; negative: no bound)")
	maxInFlight := fs.Int64("max-inflight-bytes", 0, "bytes of the stanzas being read, past 2 KiB of each, over every client together (0: the c2s default, 8 MiB; negative: no bound)")
	httpMaxConns := fs.Int("http-max-conns", 0, "connections the -http/-https listeners hold at once over every address; a WebSocket costs about ten times a TCP session (0: 2000, within -max-conns; negative: -max-conns alone)")
	wsControlRate := fs.Int("ws-control-rate", 0, "pings and pongs per second a WebSocket client is read at, past a burst of 20; a faster one is read more slowly (0: 10; negative: no limit)")
	maxDepth := fs.Int("max-depth", 0, "deepest element nesting in a stanza (0: the c2s default)")
	maxAttrs := fs.Int("max-attrs", 0, "most attributes on one element (0: the c2s default)")
	idle := fs.Duration("idle-timeout", DefaultIdleTimeout, "end sessions silent for this long, not even a whitespace keepalive (0: never)")
	stanzaTimeout := fs.Duration("stanza-timeout", 0, "longest time one stanza may take to arrive (0: the c2s default, 30s; negative: no bound)")
	writeTimeout := fs.Duration("write-timeout", 0, "drop a client whose socket accepts nothing for this long (0: the c2s default, 60s)")
	maxQueueBytes := fs.Int("max-queue-bytes", 0, "bytes queued for one client before it is disconnected as too slow (0: the c2s default, 3 MiB)")
	maxUnauthed := fs.Int64("max-unauthed-stanza", 0, "largest stanza in bytes before a resource is bound (0: the c2s default, 10000)")
	readRate := fs.Int64("c2s-rate", c2s.DefaultReadRate, "bytes per second read from one client on average, from all sessions of one account together once authenticated; a faster client is read more slowly, not disconnected, as by Prosody's mod_limits (0: no limit)")
	readBurst := fs.Int64("c2s-burst", 0, "bytes read from one client at once after a quiet spell, within -c2s-rate (0: -max-stanza or one second of -c2s-rate, whichever is more)")
	stanzaCost := fs.Int64("c2s-stanza-cost", c2s.DefaultStanzaCost, "bytes each stanza of a client counts for against -c2s-rate besides its own size, since a stanza costs the server mostly per stanza, not per byte: at the defaults a client gets about 55 small stanzas a second, after a burst of about 200 (0: bytes only)")
	maxElements := fs.Int("max-elements", 0, "most elements in one stanza (0: the c2s default, 5000)")
	maxTreeBytes := fs.Int("max-tree-bytes", 0, "most memory one stanza's element tree may take, in bytes, whatever its shape (0: the c2s default, 3 times -max-stanza)")
	maxHeaderNS := fs.Int("max-header-namespaces", 0, "most namespace declarations in a stream header (0: the c2s default, 16)")
	maxConns := fs.Int("max-conns", 0, "connections open at once (0: RLIMIT_NOFILE less an eighth; negative: no cap)")
	maxConnsPerIP := fs.Int("max-conns-per-ip", 0, "connections open at once from one IP address (0: 1000; negative: no cap)")
	authFree := fs.Int("auth-free-failures", 0, "failed logins per account (four times as many per IP) before each attempt waits a doubling backoff (0: 5; negative: no throttling)")
	authMaxBackoff := fs.Duration("auth-max-backoff", 0, "longest wait between failed logins (0: 1m)")
	connRate := fs.Int("conn-rate", 0, "new connections per minute per IP (0: unlimited)")
	authRate := fs.Int("auth-rate", 0, "SASL attempts per minute per IP (0: unlimited)")
	roomsPerUser := fs.Int("max-rooms-per-user", 0, "rooms one user may own (0: unlimited)")
	affiliations := fs.Int("max-affiliations", 0, "affiliations (members, admins, owners, outcasts) one room keeps (0: 2000; negative: unlimited)")
	roomsPerIP := fs.Int("max-rooms-per-ip", 0, "existing rooms created from one IP address, whatever the account names (0: 10 times -max-rooms-per-user, or 100 when that is unlimited; negative: unlimited)")
	occupants := fs.Int("max-occupants", 0, "occupants per room, whatever the room config says (0: unlimited)")
	lockTimeout := fs.Duration("room-lock-timeout", muc.DefaultLockTimeout, "a new room whose owner never submits the configuration form opens after this long, as in Prosody (0: stays locked until configured)")
	roomName := fs.Int("max-room-name", 0, "bytes of a room's name (muc#roomconfig_roomname), listed in every disco#items of the MUC service (0: 512; negative: no limit)")
	roomDesc := fs.Int("max-room-desc", 0, "bytes of a room's description (muc#roomconfig_roomdesc) (0: 4096; negative: no limit)")
	historyBytes := fs.Int("max-history-bytes", 0, "bytes of history a room keeps, oldest dropped first (0: 1 MiB)")
	historyTotal := fs.Int("max-history-total-bytes", 0, "bytes of history of every room together; past it messages are broadcast but not kept (0: 16 MiB; negative: no bound)")
	history := fs.Int("max-history", 0, "messages a room keeps for joining users, whatever the room config says (0: 20, as Prosody)")
	release := fs.Duration("release-memory-after", server.DefaultReleaseMemoryAfter, "give free heap memory back to the system after this long without traffic (0: leave it to the Go runtime)")
	smResume := fs.Duration("sm-resume", sm.DefaultMaxResumption, "longest time a dropped XEP-0198 session waits for its client to resume it, as Prosody's smacks_hibernation_time")
	pepPool := fs.Int64("pep-pool-bytes", 0, "bytes of PEP items of every account together; past it a publish is refused resource-constraint (0: 32 MiB; negative: no bound)")
	smTotal := fs.Int("sm-max-hibernating", sm.DefaultMaxHibernatingTotal, "dropped XEP-0198 sessions of every account waiting for resumption together; past it the one that waited longest ends")
	perConn := fs.Bool("goroutine-per-conn", false, "keep a goroutine blocked reading every connection instead of parking idle sessions in one epoll poller (Linux)")
	webFlags := addHTTPFlags(fs)
	quotas := addQuotaFlags(fs) // quotas.go
	if err := fs.Parse(args); err != nil {
		return err
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: level}))

	cfg := server.Config{
		Domain:            *domain,
		AnyPassword:       *anyPassword || len(users) == 0,
		RequireTLS:        *requireTLS,
		NoTLS:             *noTLS,
		AllowRegistration: *allowReg,
		ArchiveAlways:     !*smartMAM,
		PubsubLocalCreate: *pubsubCreate == "local",
		Logger:            log,
		TraceStanzas:      *verbose,
		Limits: c2s.Limits{
			MaxStanzaBytes:     *maxStanza,
			MaxInFlightBytes:   *maxInFlight,
			MaxQueueTotalBytes: *maxQueueTotal,
			MaxDepth:           *maxDepth,
			MaxAttrs:           *maxAttrs,
			IdleTimeout:        *idle,

			StanzaTimeout:          *stanzaTimeout,
			WriteTimeout:           *writeTimeout,
			MaxQueueBytes:          *maxQueueBytes,
			MaxUnauthedStanzaBytes: *maxUnauthed,
			MaxElements:            *maxElements,
			MaxTreeBytes:           *maxTreeBytes,
			MaxHeaderNamespaces:    *maxHeaderNS,
			ReadRate:               *readRate,
			ReadBurst:              *readBurst,
			StanzaCost:             *stanzaCost,
		},
		MaxConns:           *maxConns,
		MaxConnsPerIP:      *maxConnsPerIP,
		AuthBackoff:        server.AuthBackoff{Free: *authFree, Max: *authMaxBackoff},
		ConnRate:           server.RateLimit{Burst: *connRate, Per: time.Minute},
		AuthRate:           server.RateLimit{Burst: *authRate, Per: time.Minute},
		MUCLimits:          muc.Limits{MaxRoomsPerUser: *roomsPerUser, MaxRoomsPerIP: *roomsPerIP, MaxAffiliations: *affiliations, MaxOccupants: *occupants, MaxHistory: *history, MaxHistoryBytes: *historyBytes, MaxHistoryTotalBytes: *historyTotal, MaxRoomNameBytes: *roomName, MaxRoomDescBytes: *roomDesc},
		MUCLockTimeout:     mucLockTimeout(*lockTimeout),
		Web:                server.WebLimits{WebSocketControlRate: *wsControlRate, MaxConns: *httpMaxConns},
		ReleaseMemoryAfter: *release,
		GoroutinePerConn:   *perConn,
		Quotas:             *quotas,
	}
	if *pubsubCreate != "local" && *pubsubCreate != "admins" {
		return fmt.Errorf("-pubsub-create: %q is neither local nor admins", *pubsubCreate)
	}
	if len(users) > 0 {
		cfg.Accounts = users
	}
	if err := smConfig(&cfg, sm.Module{MaxResumption: *smResume, MaxHibernatingTotal: *smTotal}); err != nil {
		return err
	}
	if *pepPool != 0 {
		// PEP with its own bound on every account's items together.
		cfg.Without = append(cfg.Without, "pep")
		cfg.Modules = append(cfg.Modules, pep.Module{PoolBytes: *pepPool})
	}
	if *mechs != "" {
		for _, m := range strings.Split(*mechs, ",") {
			m = strings.ToUpper(strings.TrimSpace(m))
			if !slices.Contains(c2s.AllMechanisms, m) {
				return fmt.Errorf("-sasl: unsupported mechanism %q (supported: %s)", m, strings.Join(c2s.AllMechanisms, ","))
			}
			cfg.Mechanisms = append(cfg.Mechanisms, m)
		}
	}
	for _, a := range strings.Split(*admins, ",") {
		if a = strings.TrimSpace(a); a != "" {
			cfg.Admins = append(cfg.Admins, a)
		}
	}
	if !*noTLS {
		// The domain is checked (as New does) before a certificate is
		// made for it.
		d := strings.ToLower(*domain)
		if _, err := jid.New("", d, ""); err != nil {
			return fmt.Errorf("bad domain %q: %w", *domain, err)
		}
		tc, err := loadTLS(*certFile, *keyFile, *dataDir, d, log, listenIPs(*addr, webFlags.secure)...)
		if err != nil {
			return err
		}
		cfg.TLS = tc
	}
	if len(comps) > 0 {
		cfg.Components = comps
	}
	webs, err := listenHTTP(webFlags)
	if err != nil {
		return err
	}
	cfg.Services.HTTPBaseURL = webs.baseURL(strings.ToLower(*domain))
	cfg.Services.Upload.Dir, cfg.Services.Upload.MaxFileSize, cfg.Services.Upload.TotalQuota = *uploadDir, *uploadMax, *uploadTotal
	cfg.Services.Upload.RequestLimit, cfg.Services.Upload.AddrRequestLimit = uploadRates.RequestLimit, uploadRates.AddrRequestLimit
	srv, err := server.New(cfg)
	if err != nil {
		webs.close()
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		webs.close()
		return fmt.Errorf("listen: %w", err)
	}
	done := srv.Start(ln)
	if err := startComponents(srv, *addr, *componentPort, comps, log); err != nil {
		webs.close()
		_ = srv.Close()
		<-done
		return err
	}
	if err := webs.serve(srv, log); err != nil {
		_ = srv.Close()
		<-done
		return err
	}
	defer webs.shutdown() // after srv.Close below
	if ready != nil {
		ready <- ln.Addr()
		if webs != nil {
			for _, a := range webs.addrs {
				ready <- a
			}
		}
	}
	log.Info("mucd: ready", "addr", ln.Addr().String(), "domain", srv.Domain(), "muc", srv.MUCDomain(), "any_password", cfg.AnyPassword)
	switch {
	case cfg.AnyPassword && len(cfg.Admins) == 0:
		log.Info("mucd: no admins: any password is accepted, so anyone could log in as one; name them with -admins")
	case cfg.AnyPassword:
		log.Warn("mucd: any password is accepted: anyone can log in as the admins given with -admins", "admins", strings.Join(cfg.Admins, ","))
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		log.Info("mucd: shutting down")
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			return err
		}
		return <-done
	}
}

// mucLockTimeout maps the -room-lock-timeout flag, where 0 means "until
// configured", to server.Config.MUCLockTimeout, where that is negative (0
// there is the default).
func mucLockTimeout(flag time.Duration) time.Duration {
	if flag <= 0 {
		return -1
	}
	return flag
}

// defaultDataDir is where mucd keeps its generated certificate by default:
// muctest in the user's cache directory (it can be made again, but clients
// remember it), or in the temporary directory when there is none.
func defaultDataDir() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "muctest")
}

// loadTLS returns the STARTTLS configuration: the -cert and -key files when
// given, else the certificate kept in dataDir for domain and its MUC
// domain and the listening IPs (made there the first time, or when it no
// longer fits). It logs
// the certificate's file and fingerprints, which a user compares with what
// a client shows or gives to the client (poezio's ca_cert_path or its
// "certificate" SPKI pin, mcabber's ssl_ca or its ssl_fingerprint pin with
// ssl_ignore_checks).
func loadTLS(certFile, keyFile, dataDir, domain string, log *slog.Logger, ips ...string) (*tls.Config, error) {
	var (
		cert   tls.Certificate
		file   string
		reason string
		err    error
	)
	switch {
	case (certFile == "") != (keyFile == ""):
		return nil, errors.New("-cert and -key go together")
	case certFile != "":
		if cert, err = tlscert.Load(certFile, keyFile); err != nil {
			return nil, err
		}
		file = certFile
	default:
		names := tlscert.Names(domain, append([]string{"conference." + domain}, ips...)...)
		var files tlscert.Files
		if cert, files, reason, err = tlscert.LoadOrCreate(dataDir, names, time.Now()); err != nil {
			return nil, fmt.Errorf("certificate in -data-dir %s: %w", dataDir, err)
		}
		file = files.Cert
	}
	attrs := []any{"file", file, "sha256", tlscert.Fingerprint(cert.Leaf), "spki_sha256", tlscert.SPKIFingerprint(cert.Leaf), "pin", tlscert.Pin(cert.Leaf),
		"names", strings.Join(cert.Leaf.DNSNames, ","), "ips", fmt.Sprint(cert.Leaf.IPAddresses), "expires", cert.Leaf.NotAfter.UTC().Format(time.DateOnly)}
	if reason != "" {
		attrs = append(attrs, "generated", reason)
	}
	log.Info("mucd: certificate", attrs...)
	return tlscert.ServerConfig(cert), nil
}

// smConfig replaces the default XEP-0198 module by m (the -sm-resume
// resumption time and the -sm-max-hibernating bound), unless both are the
// defaults.
func smConfig(cfg *server.Config, m sm.Module) error {
	if m.MaxResumption <= 0 {
		return fmt.Errorf("-sm-resume %v: must be positive", m.MaxResumption)
	}
	if m.MaxHibernatingTotal <= 0 {
		return fmt.Errorf("-sm-max-hibernating %d: must be positive", m.MaxHibernatingTotal)
	}
	if m.MaxResumption != sm.DefaultMaxResumption || m.MaxHibernatingTotal != sm.DefaultMaxHibernatingTotal {
		cfg.Without = append(cfg.Without, "sm")
		cfg.Modules = append(cfg.Modules, m)
	}
	return nil
}
