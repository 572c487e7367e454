package hostile_test

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
	"github.com/muctest/muctest/websocket"
)

// wsRaw is a hand-made WebSocket client that writes frames as an attacker
// would (any length announced, any count of pings) and reads the server's
// frames one by one.
type wsRaw struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
}

// dialWS upgrades a loopback connection to the server's XMPP WebSocket.
func dialWS(t *testing.T, h *servertest.HTTP) *wsRaw {
	t.Helper()
	addr := strings.TrimPrefix(h.URL, "http://")
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(testTimeout))
	fmt.Fprintf(nc, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: xmpp\r\n\r\n", websocket.Path, addr)
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	return &wsRaw{t: t, nc: nc, br: br}
}

// frameHeader is the start of a masked client frame announcing n bytes.
func frameHeader(opcode byte, fin bool, n uint64) []byte {
	b0 := opcode
	if fin {
		b0 |= 0x80
	}
	var h []byte
	switch {
	case n < 126:
		h = []byte{b0, 0x80 | byte(n)}
	case n < 1<<16:
		h = []byte{b0, 0x80 | 126, byte(n >> 8), byte(n)}
	default:
		h = make([]byte, 10)
		h[0], h[1] = b0, 0x80|127
		binary.BigEndian.PutUint64(h[2:], n)
	}
	return append(h, 0, 0, 0, 0) // a zero mask: the payload goes as is
}

// next reads one server frame: its opcode and payload.
func (w *wsRaw) next() (byte, []byte, error) {
	var h [2]byte
	if _, err := io.ReadFull(w.br, h[:]); err != nil {
		return 0, nil, err
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(w.br, b[:]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(w.br, b[:]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	p := make([]byte, n)
	_, err := io.ReadFull(w.br, p)
	return h[0] & 0x0f, p, err
}

// TestWebSocketPingFlood: mallory floods ping frames, which the WebSocket
// library answers inside its reader, out of reach of the c2s read limit.
// The server must read them at Config.Web.WebSocketControlRate after a
// burst of 20 (pongs after any time t at most 20 + t x rate), answer every
// one (she is read more slowly, not disconnected), while the witnesses
// keep being served and the heap comes back.
func TestWebSocketPingFlood(t *testing.T) {
	const rate, pings, burst = 2000, 200, 20
	e := newEnv(t, server.Config{Web: server.WebLimits{WebSocketControlRate: rate}})
	h := servertest.StartHTTP(t, e.srv)
	base := heapBaseline()
	w := dialWS(t, h)
	stop := e.keepWitnessesTalking()
	var flood []byte
	for i := range pings {
		p := fmt.Sprintf("ping %04d", i)
		flood = append(append(flood, frameHeader(0x9, true, uint64(len(p)))...), p...)
	}
	start := time.Now()
	go func() { _, _ = w.nc.Write(flood) }()
	for got := 0; got < pings; {
		op, p, err := w.next()
		if err != nil {
			t.Fatalf("after %d pongs: %v (the server must read a ping flood more slowly, not close it)", got, err)
		}
		if op != 0xA {
			t.Fatalf("frame opcode %#x %q, want pongs only", op, p)
		}
		if want := fmt.Sprintf("ping %04d", got); string(p) != want {
			t.Fatalf("pong %q, want %q", p, want)
		}
		got++
		if allowed := burst + 1 + int(time.Since(start).Seconds()*rate); got > allowed {
			t.Fatalf("%d pongs %v after the flood began, over the %d the rate allows", got, time.Since(start), allowed)
		}
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	w.nc.Close()
	e.heapBack(base, heapNow())
}

// TestWebSocketCloseDrain: mallory opens a stream and announces a 1 GiB
// text frame, a message she streams. The server refuses the stanza past its size limit with a
// policy-violation stream error and starts the closing handshake;
// the WebSocket library then waits up to 5 s for her close frame,
// discarding whatever she sends. The server must give up after reading
// 64 KiB more and close the connection, so that her write fails (not times
// out) after what the socket buffers hold.
func TestWebSocketCloseDrain(t *testing.T) {
	const total, maxWritten = 1 << 30, 32 << 20
	e := newEnv(t, server.Config{})
	h := servertest.StartHTTP(t, e.srv)
	base := heapBaseline()
	w := dialWS(t, h)
	stop := e.keepWitnessesTalking()
	// What she is told: the stream error in a text message, then the
	// close frame.
	told := make(chan string, 1)
	go func() {
		var got []string
		for {
			op, p, err := w.next()
			if err != nil {
				told <- strings.Join(got, " ")
				return
			}
			switch op {
			case 0x1:
				got = append(got, string(p))
			case 0x8:
				if len(p) >= 2 {
					got = append(got, fmt.Sprintf("close %d", binary.BigEndian.Uint16(p)))
				}
			}
		}
	}()
	_ = w.nc.SetWriteDeadline(time.Now().Add(testTimeout))
	written := 0
	chunk := []byte(strings.Repeat("x", 64<<10))
	open := "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>"
	start := "<message xmlns='jabber:client' to='bob@localhost'><body>"
	msg := append(frameHeader(0x1, true, uint64(len(open))), open...)
	msg = append(append(msg, frameHeader(0x1, true, total)...), start...)
	_, err := w.nc.Write(msg)
	for err == nil && written < total {
		var n int
		n, err = w.nc.Write(chunk)
		written += n
	}
	t.Logf("mallory wrote %.1f MiB before the server closed the connection: %v", float64(written)/(1<<20), err)
	if ne, ok := err.(net.Error); err == nil || ok && ne.Timeout() {
		t.Fatalf("the server went on reading the refused message (%.1f MiB written): %v", float64(written)/(1<<20), err)
	}
	// What the kernel's socket buffers take on both sides, and the
	// server's 64 KiB.
	if written > maxWritten {
		t.Errorf("mallory wrote %.1f MiB before the server closed the connection, over %d MiB", float64(written)/(1<<20), maxWritten>>20)
	}
	if got := <-told; !strings.Contains(got, "<policy-violation") || !strings.Contains(got, "close 1000") {
		t.Errorf("mallory was told %.300q, want a policy-violation stream error and close 1000", got)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	e.heapBack(base, heapNow())
}
