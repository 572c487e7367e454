package script

import (
	"context"
	"fmt"
	"net"

	"github.com/muctest/muctest/server"
)

// DefaultServerConfig is the in-process server configuration scripts run
// against, the equivalent of Prosody's scansion test config: any password
// is accepted and admin@localhost is an admin.
func DefaultServerConfig() server.Config {
	return server.Config{AnyPassword: true, Admins: []string{"admin@localhost"}}
}

// InProcess is an in-process server started for one script run.
type InProcess struct {
	// Server is the running server; its WaitIdle lets the runner settle
	// without sleeping.
	Server *server.Server
	addr   string
	done   chan error
}

// StartInProcess starts a server for cfg on 127.0.0.1:0.
func StartInProcess(cfg server.Config) (srv *InProcess, err error) {
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("script: listen: %w", err)
	}
	ip := &InProcess{Server: s, addr: ln.Addr().String(), done: make(chan error, 1)}
	go func() { ip.done <- s.Serve(ln) }()
	return ip, nil
}

// Options returns run options pointing at the server, with its WaitIdle.
func (ip *InProcess) Options(base Options) Options {
	base.Addr = ip.addr
	base.WaitIdle = ip.Server.WaitIdle
	return base
}

// Close stops the server and waits for it.
func (ip *InProcess) Close() error {
	err := ip.Server.Close()
	if serr := <-ip.done; err == nil {
		err = serr
	}
	return err
}

// RunInProcess runs s against a fresh in-process server with cfg.
func RunInProcess(ctx context.Context, s *Script, cfg server.Config, opts Options) *Result {
	ip, err := StartInProcess(cfg)
	if err != nil {
		return &Result{Script: s, Failure: &Failure{Path: s.Path, Msg: err.Error()}}
	}
	defer ip.Close()
	return Run(ctx, s, ip.Options(opts))
}
