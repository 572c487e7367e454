package websocket

import (
	"github.com/muctest/muctest/httpconn"

	"context"
	"fmt"
	"net/http"

	ws "github.com/coder/websocket"
)

// Dial opens an RFC 7395 connection to url (ws:// or wss://) as a client
// and returns it as the byte stream of a TCP client: what the caller
// writes (its stream header, stanzas, </stream:stream>) goes out as
// <open/>, one message per element, and <close/>, and the server's
// messages read back as a stream (its <open/> as a stream header). Test
// and load clients written for TCP (bench/fanout) thus run over WebSocket
// unchanged. opts may be nil.
func Dial(ctx context.Context, url string, opts *DialOptions) (*Conn, error) {
	if opts == nil {
		opts = &DialOptions{}
	}
	c, resp, err := ws.Dial(ctx, url, &ws.DialOptions{Subprotocols: []string{Subprotocol}, HTTPClient: opts.HTTPClient})
	if err != nil {
		return nil, fmt.Errorf("websocket: dial %s: %w", url, err)
	}
	if c.Subprotocol() != Subprotocol {
		_ = c.CloseNow()
		return nil, fmt.Errorf("websocket: %s did not accept the %q subprotocol (HTTP %d)", url, Subprotocol, resp.StatusCode)
	}
	maxMessage := opts.MaxMessage
	if maxMessage <= 0 {
		maxMessage = 1 << 20
	}
	c.SetReadLimit(maxMessage)
	return NewConn(c, httpconn.Addr(""), httpconn.Addr(url)), nil
}

// DialOptions tune Dial.
type DialOptions struct {
	// MaxMessage bounds one incoming message; 0 means 1 MiB.
	MaxMessage int64
	// HTTPClient makes the handshake (e.g. one trusting a test server's
	// certificate for wss://); nil uses http.DefaultClient.
	HTTPClient *http.Client
}
