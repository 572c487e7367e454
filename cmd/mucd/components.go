package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"

	"github.com/muctest/muctest/server"
)

// componentFlags collects repeated -component NAME:SECRET flags: the
// XEP-0114 external components that may connect, by domain.
type componentFlags map[string]string

func (c componentFlags) String() string {
	var names []string
	for n := range c {
		names = append(names, n)
	}
	return strings.Join(names, ",")
}

func (c componentFlags) Set(v string) error {
	name, secret, ok := strings.Cut(v, ":")
	if !ok || name == "" || secret == "" {
		return errors.New("want domain:secret, e.g. bot.localhost:s3cret")
	}
	c[strings.ToLower(name)] = secret
	return nil
}

// startComponents listens for the external components on port of the
// host of the client address, when any -component is given.
func startComponents(srv *server.Server, clientAddr string, port int, comps componentFlags, log *slog.Logger) error {
	if len(comps) == 0 {
		return nil
	}
	host, _, err := net.SplitHostPort(clientAddr)
	if err != nil {
		return fmt.Errorf("-addr: %w", err)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("listen -component-port: %w", err)
	}
	srv.StartComponents(ln)
	log.Info("mucd: components", "addr", ln.Addr().String(), "domains", comps.String())
	return nil
}
