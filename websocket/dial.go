package websocket

import (
	"context"
	"fmt"

	ws "github.com/coder/websocket"
)

// Dial opens an RFC 7395 connection to url (ws:// or wss://) as a client
// and returns it as the byte stream of a TCP client: what the caller
// writes (its stream header, stanzas, </stream:stream>) goes out as
// <open/>, one message per element, and <close/>, and the server's
// messages read back as a stream (its <open/> as a stream header). Test
// and load clients written for TCP (bench/fanout) thus run over WebSocket
// unchanged. maxMessage bounds one incoming message (0: 1 MiB).
func Dial(ctx context.Context, url string, maxMessage int64) (*Conn, error) {
	c, resp, err := ws.Dial(ctx, url, &ws.DialOptions{Subprotocols: []string{Subprotocol}})
	if err != nil {
		return nil, fmt.Errorf("websocket: dial %s: %w", url, err)
	}
	if c.Subprotocol() != Subprotocol {
		_ = c.CloseNow()
		return nil, fmt.Errorf("websocket: %s did not accept the %q subprotocol (HTTP %d)", url, Subprotocol, resp.StatusCode)
	}
	if maxMessage <= 0 {
		maxMessage = 1 << 20
	}
	c.SetReadLimit(maxMessage)
	return NewConn(c, httpAddr(""), httpAddr(url)), nil
}
