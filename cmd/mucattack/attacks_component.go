package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/muctest/muctest/component/external"
)

// compFlags is what the component attacks need of the mucd's flags: the
// first -component (domain and secret) and -component-port.
type compFlags struct {
	domain, secret string
	port           int
}

// parseCompFlags reads -component and -component-port out of -mucd-flags
// (either "-flag value" or "-flag=value"); domain is "" without
// -component, and the attacks that need one are skipped.
func parseCompFlags(flags string) compFlags {
	c := compFlags{port: 5347}
	f := strings.Fields(flags)
	for i, a := range f {
		name, val, has := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") {
			continue
		}
		if !has && i+1 < len(f) {
			val = f[i+1]
		}
		switch name {
		case "component":
			if c.domain == "" {
				c.domain, c.secret, _ = strings.Cut(val, ":")
			}
		case "component-port":
			if p, err := strconv.Atoi(val); err == nil {
				c.port = p
			}
		}
	}
	return c
}

// componentAttacks go after the XEP-0114 component port, which an
// attacker reaches as easily as the client port.
func componentAttacks() []attack {
	return []attack{
		{"component-handshake-flood", "on the component port: 12,000 silent connections and 2,000 sending a stream header and 240 KB of a handshake or header attribute that never ends, over 250 addresses, and 16 workers handshaking with wrong secrets, unknown domains and (conflict) the right one, while the real component echoes a client's messages (skipped unless -mucd-flags has -component)", componentFlood},
	}
}

// compAddr is the component port on the host of the client port.
func (e *env) compAddr() string {
	host, _, _ := net.SplitHostPort(e.addr)
	return net.JoinHostPort(host, strconv.Itoa(e.b.o.comp.port))
}

func (e *env) compHeader(domain string) string {
	return "<?xml version='1.0'?><stream:stream xmlns='" + external.NSAccept + "' xmlns:stream='http://etherx.jabber.org/streams' to='" + domain + "'>"
}

var streamIDRE = regexp.MustCompile(`<stream:stream [^>]*\bid=['"]([^'"]+)['"]`)

// componentLogin connects to the component port from src and handshakes
// as domain with secret; it returns the connection once the server said
// <handshake/>, or the server's refusal.
func (e *env) componentLogin(src net.IP, domain, secret string) (net.Conn, *bufio.Reader, error) {
	nc, err := e.dialAddr(e.compAddr(), src, sockBuf{}, false)
	if err != nil {
		return nil, nil, err
	}
	fail := func(err error) (net.Conn, *bufio.Reader, error) {
		nc.Close()
		return nil, nil, err
	}
	_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(nc, e.compHeader(domain)); err != nil {
		return fail(err)
	}
	br := bufio.NewReader(nc)
	var seen []byte
	buf := make([]byte, 4096)
	sentHandshake := false
	for {
		n, err := br.Read(buf)
		seen = append(seen, buf[:n]...)
		if m := streamIDRE.FindSubmatch(seen); m != nil && !sentHandshake {
			sentHandshake = true
			if _, err := io.WriteString(nc, "<handshake>"+external.Digest(string(m[1]), secret)+"</handshake>"); err != nil {
				return fail(err)
			}
		}
		if strings.Contains(string(seen), "<handshake/>") {
			_ = nc.SetDeadline(time.Time{})
			return nc, br, nil
		}
		if strings.Contains(string(seen), "stream:error") {
			return fail(fmt.Errorf("component handshake refused: %s", trim(seen, 200)))
		}
		if err != nil {
			return fail(fmt.Errorf("component handshake: %w (read %q)", err, trim(seen, 200)))
		}
		if len(seen) > 64<<10 {
			return fail(errors.New("component handshake: no answer in 64 KiB"))
		}
	}
}

var echoRE = regexp.MustCompile(`echo-(\d+)`)

// componentEcho is the real component during the flood: connected before
// it, it answers every message with echo-N in it with a message carrying
// the same echo-N to the client's JID, and reconnects when the server
// drops it. A client logged in from an address no attack uses sends it
// one such message every 50 ms and times the answers; the attack fails
// (env.lose) when an answer takes over 1 s or never comes, or the
// component cannot get back in.
type componentEcho struct {
	e      *env
	domain string
	cl     *session

	mu       sync.Mutex
	cur      net.Conn // the component's connection, closed when the attack ends
	sent     map[int]time.Time
	max      time.Duration
	answered int
	drops    int
}

func (c *componentEcho) serve(nc net.Conn, br *bufio.Reader) {
	buf := make([]byte, 32<<10)
	var seen []byte
	for {
		_ = nc.SetReadDeadline(time.Time{})
		n, err := br.Read(buf)
		seen = append(seen, buf[:n]...)
		var out strings.Builder
		for _, m := range echoRE.FindAllSubmatch(seen, -1) {
			out.WriteString("<message from='echo@" + c.domain + "' to='" + c.cl.jid + "' type='chat'><body>echo-" + string(m[1]) + "</body></message>")
		}
		if i := strings.LastIndex(string(seen), "echo-"); i >= 0 {
			seen = seen[i+len("echo-"):]
			// Keep what may be an unfinished number.
			if len(seen) > 32 {
				seen = seen[len(seen)-32:]
			}
		} else if len(seen) > 64 {
			seen = seen[len(seen)-64:]
		}
		if out.Len() > 0 {
			_ = nc.SetWriteDeadline(time.Now().Add(2 * time.Second))
			if _, werr := io.WriteString(nc, out.String()); werr != nil {
				err = werr
			}
		}
		if err != nil {
			return
		}
	}
}

// run keeps the component connected until the attack ends.
func (c *componentEcho) run(nc net.Conn, br *bufio.Reader) {
	c.setConn(nc)
	stop := context.AfterFunc(c.e.ctx, func() { c.setConn(nil) })
	defer stop()
	for {
		c.serve(nc, br)
		nc.Close()
		if c.e.done() {
			return
		}
		c.mu.Lock()
		c.drops++
		c.mu.Unlock()
		var err error
		for !c.e.done() {
			nc, br, err = c.e.componentLogin(net.IPv4(127, 0, 0, 4), c.domain, c.e.b.o.comp.secret)
			if err == nil {
				c.setConn(nc)
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			c.e.lose("the component could not reconnect: " + firstLine(err.Error(), 100))
			return
		}
	}
}

// setConn makes nc the component's connection (nil: none, the attack is
// over) and closes the one it replaces.
func (c *componentEcho) setConn(nc net.Conn) {
	c.mu.Lock()
	old := c.cur
	c.cur = nc
	if c.e.done() && nc != nil {
		nc.Close()
	}
	c.mu.Unlock()
	if old != nil && old != nc {
		old.Close()
	}
}

// client sends the probes and reads the answers until the attack ends.
func (c *componentEcho) client() {
	go func() {
		buf := make([]byte, 8192)
		var seen []byte
		for {
			n, err := c.cl.br.Read(buf)
			seen = append(seen, buf[:n]...)
			now := time.Now()
			for _, m := range echoRE.FindAllSubmatch(seen, -1) {
				k, _ := strconv.Atoi(string(m[1]))
				c.mu.Lock()
				if at, ok := c.sent[k]; ok {
					delete(c.sent, k)
					c.answered++
					c.max = max(c.max, now.Sub(at))
				}
				c.mu.Unlock()
			}
			if i := strings.LastIndex(string(seen), "echo-"); i >= 0 {
				seen = seen[i+len("echo-"):]
			}
			if len(seen) > 64 {
				seen = seen[len(seen)-64:]
			}
			if err != nil {
				return
			}
		}
	}()
	for k := 0; !c.e.done(); k++ {
		c.mu.Lock()
		c.sent[k] = time.Now()
		c.mu.Unlock()
		if err := c.cl.send("<message to='echo@" + c.domain + "' type='chat'><body>echo-" + strconv.Itoa(k) + "</body></message>"); err != nil && !c.e.done() {
			c.e.lose("the component's client could not send: " + firstLine(err.Error(), 100))
			return
		}
		select {
		case <-c.e.ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// verdict calls lose for what failed, once the attack has ended at end:
// a probe sent over 1 s before the end and still unanswered is lost. It
// returns the note.
func (c *componentEcho) verdict(end time.Time) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	lost := 0
	for _, at := range c.sent {
		if end.Sub(at) > time.Second {
			lost++
		}
	}
	if lost > 0 {
		c.e.lose(fmt.Sprintf("%d component round trips unanswered", lost))
	}
	if c.max >= time.Second {
		c.e.lose("component round trip took " + round(c.max))
	}
	return fmt.Sprintf("component: %d round trips, max %s, %d drops", c.answered, round(c.max), c.drops)
}

func componentFlood(e *env) (string, error) {
	cf := e.b.o.comp
	if cf.domain == "" {
		e.hold()
		return "skipped: no -component in -mucd-flags", nil
	}
	nc, br, err := e.componentLogin(net.IPv4(127, 0, 0, 4), cf.domain, cf.secret)
	if err != nil {
		return "", fmt.Errorf("the real component: %w", err)
	}
	cl, err := e.login(net.IPv4(127, 0, 0, 4), "compclient", "c", false)
	if err != nil {
		nc.Close()
		return "", fmt.Errorf("the component's client: %w", err)
	}
	echo := &componentEcho{e: e, domain: cf.domain, cl: cl, sent: map[int]time.Time{}}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); echo.run(nc, br) }()
	go func() { defer wg.Done(); echo.client() }()

	var idle, held, refused, conflicts, letIn, rounds atomic.Int64
	big := strings.Repeat("a", 240<<10)
	var next atomic.Int64
	const nIdle, nHeld = 12000, 2000
	e.parallel(48, func(w int) {
		if w >= 32 {
			// Handshake churn: wrong secret, unknown domain, and the
			// right secret while the real component is connected.
			for k := 0; !e.done(); k++ {
				src := ip((w + 16*k) % 250)
				nc, err := e.dialAddr(e.compAddr(), src, sockBuf{}, false)
				if err != nil {
					time.Sleep(20 * time.Millisecond)
					continue
				}
				switch k % 4 {
				case 0, 1:
					_, _ = io.WriteString(nc, e.compHeader(cf.domain)+"<handshake>"+strings.Repeat("0", 40)+"</handshake>")
				case 2:
					_, _ = io.WriteString(nc, e.compHeader("nope"+strconv.Itoa(k)+"."+e.domain))
				default:
					nc.Close()
					if c, _, err := e.componentLogin(src, cf.domain, cf.secret); err == nil {
						c.Close()
						letIn.Add(1)
					} else if strings.Contains(err.Error(), "conflict") {
						conflicts.Add(1)
					}
					rounds.Add(1)
					continue
				}
				_ = nc.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
				_, _ = io.Copy(io.Discard, nc)
				nc.Close()
				rounds.Add(1)
			}
			return
		}
		for !e.done() {
			i := int(next.Add(1) - 1)
			if i >= nIdle+nHeld {
				return
			}
			nc, err := e.dialAddr(e.compAddr(), ip(i%250), sockBuf{}, true)
			if err != nil {
				continue
			}
			if i < nIdle {
				idle.Add(1)
				continue
			}
			prefix := e.compHeader(cf.domain) + "<handshake>"
			if i%2 == 0 {
				prefix = "<?xml version='1.0'?><stream:stream xmlns='" + external.NSAccept + "' xmlns:stream='http://etherx.jabber.org/streams' to='" + cf.domain + "' x='"
			}
			_ = nc.SetWriteDeadline(time.Now().Add(2 * time.Second))
			if _, err := io.WriteString(nc, prefix+big); err != nil {
				refused.Add(1)
				continue
			}
			held.Add(1)
		}
	})
	note := fmt.Sprintf("%d idle, %d holding 240 KB, %d cut while writing, %d churn rounds (%d conflicts, %d let in while the real one was out), %d still open; ",
		idle.Load(), held.Load(), refused.Load(), rounds.Load(), conflicts.Load(), letIn.Load(), stillOpen(e))
	e.hold()
	end := time.Now()
	wg.Wait()
	return note + echo.verdict(end) + ", " + e.counts(), nil
}
