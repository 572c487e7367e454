package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/muctest/muctest/client"
	"github.com/muctest/muctest/xmlnode"
)

// witnessInterval is how often the witness starts a round trip.
const witnessInterval = 20 * time.Millisecond

// witnessTimeout is how long one round trip may take before it counts as
// failed (it already fails the 1 s criterion long before).
const witnessTimeout = 5 * time.Second

// witness is a well-behaved client that keeps round-tripping during the
// attacks: an XEP-0199 ping to the server, then a message to its own full
// JID, alternately. A round trip that errors or times out is a failure, and
// the witness logs in again (which must work too). It runs in a process of
// its own (witnessproc.go) unless -witness-in-process says otherwise.
type witness struct {
	addr, domain string
	stop         chan struct{}
	done         chan struct{}
	// out, in the witness's own process, receives each round trip and
	// failure as a line for the battery's process instead of keeping it.
	out io.Writer
	// child, in the battery's process, is the witness's process.
	child *witnessChild

	mu       sync.Mutex
	rtts     []time.Duration
	failures int
	lastErr  string
}

// witnessStats are the witness's numbers over one attack.
type witnessStats struct {
	n         int
	max, p99  time.Duration
	failures  int
	lastError string
}

func newWitness(ctx context.Context, addr, domain string) (*witness, error) {
	if !witnessInProcess {
		return startWitnessChild(ctx, addr, domain)
	}
	w := &witness{addr: addr, domain: domain, stop: make(chan struct{}), done: make(chan struct{})}
	c, err := w.dial(ctx)
	if err != nil {
		return nil, err
	}
	go w.loop(c)
	return w, nil
}

func (w *witness) dial(ctx context.Context) (*client.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, witnessTimeout)
	defer cancel()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}}
	nc, err := d.DialContext(ctx, "tcp", w.addr)
	if err != nil {
		return nil, err
	}
	c, err := client.New(ctx, nc, client.Config{JID: "witness@" + w.domain, Password: "witness", Resource: "w", PipelinePlain: true, Timeout: witnessTimeout})
	if err != nil {
		return nil, err
	}
	// Initial presence, as a real client: it makes the witness an
	// available resource that presence and messages reach.
	if err := c.Send(xmlnode.MustParse(`<presence/>`)); err != nil {
		c.Abort()
		return nil, err
	}
	return c, nil
}

func (w *witness) loop(c *client.Conn) {
	defer close(w.done)
	defer func() {
		if c != nil {
			c.Abort()
		}
	}()
	t := time.NewTicker(witnessInterval)
	defer t.Stop()
	for n := 0; ; n++ {
		select {
		case <-w.stop:
			return
		case <-t.C:
		}
		if c == nil {
			var err error
			if c, err = w.dial(context.Background()); err != nil {
				w.fail(fmt.Errorf("log in again: %w", err))
				c = nil
				continue
			}
		}
		rtt, err := w.roundTrip(c, n)
		if err != nil {
			w.fail(err)
			c.Abort()
			c = nil
			continue
		}
		w.record(rtt)
	}
}

func (w *witness) record(rtt time.Duration) {
	if w.out != nil {
		fmt.Fprintf(w.out, "ok %d\n", rtt)
		return
	}
	w.mu.Lock()
	w.rtts = append(w.rtts, rtt)
	w.mu.Unlock()
}

func (w *witness) roundTrip(c *client.Conn, n int) (time.Duration, error) {
	id := "w" + strconv.Itoa(n)
	var st *xmlnode.Element
	if n%2 == 0 {
		st = xmlnode.New("jabber:client", "iq", "type", "get", "id", id, "to", w.domain)
		st.Append(xmlnode.New("urn:xmpp:ping", "ping"))
	} else {
		st = xmlnode.New("jabber:client", "message", "type", "chat", "id", id, "to", c.JID())
		b := xmlnode.New("jabber:client", "body")
		b.Append(xmlnode.Text("witness " + id))
		st.Append(b)
	}
	start := time.Now()
	if err := c.Send(st); err != nil {
		return 0, fmt.Errorf("send: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), witnessTimeout)
	defer cancel()
	for {
		got, err := c.RecvContext(ctx)
		if err != nil {
			return 0, fmt.Errorf("%s %s: %w", st.Name.Local, id, err)
		}
		if got.Attrib("id") != id {
			continue // presence, or a late answer
		}
		if got.Attrib("type") == "error" {
			return 0, fmt.Errorf("%s %s: error reply", st.Name.Local, id)
		}
		return time.Since(start), nil
	}
}

func (w *witness) fail(err error) {
	if w.out != nil {
		fmt.Fprintf(w.out, "fail %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
		return
	}
	w.mu.Lock()
	w.failures++
	w.lastErr = err.Error()
	w.mu.Unlock()
}

// reset starts a new window of numbers.
func (w *witness) reset() {
	w.mu.Lock()
	w.rtts = w.rtts[:0]
	w.failures = 0
	w.lastErr = ""
	w.mu.Unlock()
}

func (w *witness) stats() witnessStats {
	w.mu.Lock()
	defer w.mu.Unlock()
	d := append([]time.Duration(nil), w.rtts...)
	s := witnessStats{n: len(d), failures: w.failures, lastError: w.lastErr}
	if len(d) > 0 {
		s.p99 = percentile(d, 0.99)
		s.max = d[len(d)-1]
	}
	return s
}

func (w *witness) close() {
	if w.child != nil {
		w.child.close()
		return
	}
	close(w.stop)
	<-w.done
}

// probeLogin logs a fresh client in from 127.0.0.254 (no attack uses it)
// and has a ping answered.
func probeLogin(ctx context.Context, addr, domain string) error {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 254)}}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	c, err := client.New(ctx, nc, client.Config{JID: "probe@" + domain, Password: "probe", PipelinePlain: true, Timeout: 5 * time.Second})
	if err != nil {
		return err
	}
	defer c.Abort()
	ping := xmlnode.New("jabber:client", "iq", "type", "get", "id", "probe", "to", domain)
	ping.Append(xmlnode.New("urn:xmpp:ping", "ping"))
	if err := c.Send(ping); err != nil {
		return err
	}
	for {
		got, err := c.RecvContext(ctx)
		if err != nil {
			return err
		}
		if got.Attrib("id") == "probe" {
			return nil
		}
	}
}
