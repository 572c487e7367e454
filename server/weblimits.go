package server

// WebLimits bound what a client of the browser transports (mucd -http)
// can make the server do beyond what package c2s bounds for every
// transport.
type WebLimits struct {
	// WebSocketControlRate is websocket.Config.ControlFrameRate: the
	// pings and pongs per second a WebSocket connection is read at
	// (zero: websocket.DefaultControlFrameRate, 10; negative: no limit).
	WebSocketControlRate int
}
