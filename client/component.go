package client

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/muctest/muctest/xmlnode"
)

// NSComponent is the namespace of an XEP-0114 component stream.
const NSComponent = "jabber:component:accept"

// ComponentConfig says which component to connect as (XEP-0114: Jabber
// Component Protocol).
type ComponentConfig struct {
	// Domain is the component's domain (the stream's "to"), e.g.
	// gateway.localhost.
	Domain string
	// Secret is the shared secret the server has for Domain.
	Secret string
	// Timeout bounds the handshake and the closing handshake in Close.
	// Default 10s.
	Timeout time.Duration
	// Limits bound stanzas read from the server, as in Config.
	Limits xmlnode.Limits
}

// DialComponent connects to addr (the server's component port) and
// authenticates as an external component with the XEP-0114 handshake. The
// Conn then works as a client's: stanzas it receives are given in
// jabber:client (the namespace scripts and package match use), and stanzas
// in jabber:client are sent in the component namespace. A component must
// set "from" on what it sends; JID returns its domain.
func DialComponent(ctx context.Context, addr string, cfg ComponentConfig) (*Conn, error) {
	return dial(ctx, addr, "client: component", func(nc net.Conn) (*Conn, error) { return NewComponent(ctx, nc, cfg) })
}

// NewComponent runs the component handshake over an already connected nc
// (which the Conn then owns); DialComponent is the usual entry point.
func NewComponent(ctx context.Context, nc net.Conn, cfg ComponentConfig) (*Conn, error) {
	if cfg.Domain == "" {
		return nil, errors.New("client: component: no domain")
	}
	cc := newCountingConn(nc)
	c := &Conn{conn: cc, raw: nc, count: cc, timeout: cfg.Timeout, jid: cfg.Domain, streamNS: NSComponent,
		cfg: Config{Domain: cfg.Domain, Limits: cfg.Limits}}
	c.defaults()
	return c.start(ctx, nc, "client: component", func() error { return c.handshake(cfg.Secret) })
}

// handshake opens the component stream and proves the secret:
// hex(SHA-1(stream id + secret)), answered by an empty <handshake/>.
func (c *Conn) handshake(secret string) error {
	c.in = newStreamReader(c.conn, c.cfg.Limits)
	hdr := "<?xml version='1.0'?><stream:stream xmlns='" + NSComponent + "' xmlns:stream='" + NSStream + "' to='" + xmlEscape(c.cfg.Domain) + "'>"
	if _, err := io.WriteString(c.conn, hdr); err != nil {
		return fmt.Errorf("client: component: open stream: %w", err)
	}
	t, err := c.in.readHeader()
	if err != nil {
		return fmt.Errorf("client: component: open stream: %w", err)
	}
	if t.Name.Space != NSStream || t.Name.Local != "stream" {
		return fmt.Errorf("client: component: got <%s> instead of <stream:stream>", t.Name.Local)
	}
	var id string
	for _, a := range t.Attr {
		if a.Name.Local == "id" && a.Name.Space == "" {
			id = a.Value
		}
	}
	if id == "" {
		return errors.New("client: component: the server's stream header has no id")
	}
	sum := sha1.Sum([]byte(id + secret))
	if _, err := io.WriteString(c.conn, "<handshake>"+hex.EncodeToString(sum[:])+"</handshake>"); err != nil {
		return fmt.Errorf("client: component: handshake: %w", err)
	}
	el, err := c.readElement()
	if err != nil {
		return fmt.Errorf("client: component: handshake: %w", err)
	}
	if el.Name.Local != "handshake" {
		return fmt.Errorf("client: component: handshake: server answered <%s/>", el.Name.Local)
	}
	return nil
}

// toClientNS moves e and its descendants in the component namespace into
// jabber:client, in place (e was just read and is not shared).
func toClientNS(e *xmlnode.Element) {
	if e.Name.Space == NSComponent {
		e.Name.Space = NSClient
	}
	for _, ch := range e.Elements() {
		toClientNS(ch)
	}
}
