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
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/muctest/muctest/c2s"
	"github.com/muctest/muctest/muc"
	"github.com/muctest/muctest/server"
)

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
	mechs := fs.String("sasl", "", "comma-separated SASL mechanisms to offer (default: all with -user accounts, PLAIN only with any password)")
	admins := fs.String("admins", "admin@localhost", "comma-separated admin bare JIDs")
	verbose := fs.Bool("v", false, "log every stanza in and out (debug level)")
	// Limits for a server others can reach; the defaults suit a test server.
	maxStanza := fs.Int64("max-stanza", 0, "largest stanza in bytes (0: the c2s default, 256 KiB)")
	maxDepth := fs.Int("max-depth", 0, "deepest element nesting in a stanza (0: the c2s default)")
	maxAttrs := fs.Int("max-attrs", 0, "most attributes on one element (0: the c2s default)")
	idle := fs.Duration("idle-timeout", 0, "end sessions silent for this long (0: never)")
	connRate := fs.Int("conn-rate", 0, "new connections per minute per IP (0: unlimited)")
	authRate := fs.Int("auth-rate", 0, "SASL attempts per minute per IP (0: unlimited)")
	roomsPerUser := fs.Int("max-rooms-per-user", 0, "rooms one user may own (0: unlimited)")
	occupants := fs.Int("max-occupants", 0, "occupants per room, whatever the room config says (0: unlimited)")
	history := fs.Int("max-history", 0, "messages a room keeps for joining users, whatever the room config says (0: 20, as Prosody)")
	release := fs.Duration("release-memory-after", server.DefaultReleaseMemoryAfter, "give free heap memory back to the system after this long without traffic (0: leave it to the Go runtime)")
	perConn := fs.Bool("goroutine-per-conn", false, "keep a goroutine blocked reading every connection instead of parking idle sessions in one epoll poller (Linux)")
	webFlags := addHTTPFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: level}))

	cfg := server.Config{
		Domain:       *domain,
		AnyPassword:  *anyPassword || len(users) == 0,
		RequireTLS:   *requireTLS,
		NoTLS:        *noTLS,
		Logger:       log,
		TraceStanzas: *verbose,
		Limits: c2s.Limits{
			MaxStanzaBytes: *maxStanza,
			MaxDepth:       *maxDepth,
			MaxAttrs:       *maxAttrs,
			IdleTimeout:    *idle,
		},
		ConnRate:           server.RateLimit{Burst: *connRate, Per: time.Minute},
		AuthRate:           server.RateLimit{Burst: *authRate, Per: time.Minute},
		MUCLimits:          muc.Limits{MaxRoomsPerUser: *roomsPerUser, MaxOccupants: *occupants, MaxHistory: *history},
		ReleaseMemoryAfter: *release,
		GoroutinePerConn:   *perConn,
	}
	if len(users) > 0 {
		cfg.Accounts = users
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
	srv, err := server.New(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	done := srv.Start(ln)
	webs, err := startHTTP(webFlags, srv, log)
	if err != nil {
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
