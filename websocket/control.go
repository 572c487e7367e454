package websocket

import (
	"context"
	"time"

	"github.com/muctest/muctest/pace"
)

// DefaultControlFrameRate is how many control frames (pings and pongs) a
// client's connection is read at per second, on average, when
// Config.ControlFrameRate is zero. Browsers answer the server's pings and
// send none of their own; a keepalive needs one a minute.
const DefaultControlFrameRate = 10

// controlBurst is how many control frames a quiet connection may send at
// once before the rate applies.
const controlBurst = 20

// controlPacer paces the control frames of one connection. Pings and
// pongs are handled inside the WebSocket library's reader, out of reach of
// the c2s session's read limit (which counts the XMPP bytes a client
// sends), and each ping costs a pong write: unpaced, a client that floods
// 125-byte pings makes the server write a pong per frame for as long as it
// likes. Past the allowance the pacer holds the reader (in the library's
// synchronous callback), so that the connection is read more slowly, as
// c2s reads a client over its byte rate: no error, no disconnection, and a
// wait of at most one frame's share of a second at a time.
type controlPacer struct {
	rate   pace.Rate
	bucket pace.Bucket
	now    func() time.Time
	sleep  func(ctx context.Context, d time.Duration)
	waited time.Duration // total time held, for tests
}

// newControlPacer returns a pacer for rate frames per second (rate > 0).
func newControlPacer(rate int) *controlPacer {
	return &controlPacer{rate: pace.Rate{Burst: controlBurst, Every: time.Second / time.Duration(rate)},
		now: time.Now, sleep: sleepCtx}
}

// frame accounts for one control frame, holding the caller while the
// connection is over its allowance. It is called from the library's
// reader only, so it needs no lock.
func (p *controlPacer) frame(ctx context.Context) {
	if d := p.bucket.Take(p.rate, p.now()); d > 0 {
		p.waited += d
		p.sleep(ctx, d)
	}
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
