package server

// WebLimits bound what a client of the browser transports (mucd -http)
// can make the server do beyond what package c2s bounds for every
// transport.
type WebLimits struct {
	// WebSocketControlRate is websocket.Config.ControlFrameRate: the
	// pings and pongs per second a WebSocket connection is read at
	// (zero: websocket.DefaultControlFrameRate, 10; negative: no limit).
	WebSocketControlRate int
	// MaxConns bounds the connections LimitHTTPListener lets in at once,
	// over every address (WebSocket, BOSH, upload, discovery): a WebSocket
	// session keeps a reader goroutine and its buffers, about ten times a
	// parked TCP session, so a flood of upgrades from many addresses must
	// stop far below Config.MaxConns, which RLIMIT_NOFILE sets (17,358
	// upgrades held 590 MB in attack2's websocket-flood). Zero means
	// DefaultWebMaxConns; negative, Config.MaxConns alone. It never
	// exceeds a positive Config.MaxConns.
	MaxConns int
}

// DefaultWebMaxConns is WebLimits.MaxConns's default: far more browser
// tabs than a development server sees.
const DefaultWebMaxConns = 2000

// maxConns is the cap LimitHTTPListener applies over every address.
func (l WebLimits) maxConns(all int) int {
	n := l.MaxConns
	switch {
	case n == 0:
		n = DefaultWebMaxConns
	case n < 0:
		return all
	}
	if all > 0 && all < n {
		return all
	}
	return n
}
