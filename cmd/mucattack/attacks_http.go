package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// httpAttacks go after WebSocket and BOSH, which mucd serves only with
// -http (off by default): without it they are skipped.
func httpAttacks() []attack {
	return []attack{
		{"http-conn-flood", "5,000 idle HTTP connections over 250 addresses and 2,000 half-sent request headers", func(e *env) (string, error) {
			if e.b.o.httpAddr == "" {
				return "skipped: no -http (mucd serves no HTTP by default)", nil
			}
			return httpConnFlood(e)
		}},
		{"bosh-session-flood", "BOSH session creation requests from 250 addresses as fast as possible, none ever polled again", func(e *env) (string, error) {
			if e.b.o.httpAddr == "" {
				return "skipped: no -http (mucd serves no HTTP by default)", nil
			}
			return boshFlood(e)
		}},
		{"websocket-flood", "WebSocket upgrades from 250 addresses opening framed streams and sending huge frames", func(e *env) (string, error) {
			if e.b.o.httpAddr == "" {
				return "skipped: no -http (mucd serves no HTTP by default)", nil
			}
			return wsFlood(e)
		}},
	}
}

func httpConnFlood(e *env) (string, error) {
	orig := e.addr
	e.addr = e.b.o.httpAddr
	defer func() { e.addr = orig }()
	var i atomic.Int64
	e.parallel(32, func(int) {
		for !e.done() {
			k := int(i.Add(1))
			if k > 7000 {
				return
			}
			nc, err := e.dial(ip(k%250), false)
			if err != nil {
				continue
			}
			if k%7 < 2 {
				_, _ = io.WriteString(nc, "POST /http-bind HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\nX-Pad: "+strings.Repeat("p", 4000))
			}
		}
	})
	note := e.counts()
	e.hold()
	return note + fmt.Sprintf(", %d still open", stillOpen(e)), nil
}

func httpClient(src net.IP) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: src}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 4}}
}

func boshFlood(e *env) (string, error) {
	var created, failed atomic.Int64
	e.parallel(32, func(w int) {
		c := httpClient(ip(w % 250))
		defer c.CloseIdleConnections()
		for k := 0; !e.done(); k++ {
			rid := strconv.Itoa(1000 + k)
			body := "<body xmlns='http://jabber.org/protocol/httpbind' content='text/xml; charset=utf-8' hold='1' rid='" + rid + "' to='" + e.domain + "' ver='1.6' wait='60' xml:lang='en' xmpp:version='1.0' xmlns:xmpp='urn:xmpp:xbosh'/>"
			ctx, cancel := context.WithTimeout(e.ctx, 3*time.Second)
			req, _ := http.NewRequestWithContext(ctx, "POST", "http://"+e.b.o.httpAddr+"/http-bind", strings.NewReader(body))
			resp, err := c.Do(req)
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 {
					created.Add(1)
				} else {
					failed.Add(1)
				}
			} else {
				failed.Add(1)
			}
			cancel()
			if k%50 == 49 {
				c.CloseIdleConnections()
				c = httpClient(ip((w + k) % 250))
			}
		}
	})
	return fmt.Sprintf("%d BOSH sessions created, %d refused or failed", created.Load(), failed.Load()), nil
}

func wsFlood(e *env) (string, error) {
	orig := e.addr
	e.addr = e.b.o.httpAddr
	defer func() { e.addr = orig }()
	var up atomic.Int64
	e.parallel(32, func(w int) {
		for k := 0; !e.done(); k++ {
			nc, err := e.dial(ip((w+32*k)%250), false)
			if err != nil {
				time.Sleep(20 * time.Millisecond)
				continue
			}
			req := "GET /xmpp-websocket HTTP/1.1\r\nHost: " + e.b.o.httpAddr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: xmpp\r\n\r\n"
			if _, err := io.WriteString(nc, req); err != nil {
				continue
			}
			_ = nc.SetReadDeadline(time.Now().Add(3 * time.Second))
			buf := make([]byte, 1024)
			n, _ := nc.Read(buf)
			_ = nc.SetReadDeadline(time.Time{})
			if !strings.Contains(string(buf[:n]), "101") {
				continue
			}
			up.Add(1)
			// A masked text frame announcing 1 GiB, then its first bytes;
			// every other connection an open frame and silence.
			if k%2 == 0 {
				hdr := []byte{0x81, 0xFF, 0, 0, 0, 0, 0x40, 0, 0, 0, 1, 2, 3, 4}
				_, _ = nc.Write(append(hdr, []byte(strings.Repeat("x", 64<<10))...))
			} else {
				open := "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='" + e.domain + "' version='1.0'/>"
				fr := []byte{0x81, 0x80 | byte(len(open)), 1, 2, 3, 4}
				m := []byte(open)
				for i := range m {
					m[i] ^= []byte{1, 2, 3, 4}[i%4]
				}
				_, _ = nc.Write(append(fr, m...))
			}
		}
	})
	return fmt.Sprintf("%d upgraded, ", up.Load()) + e.counts(), nil
}

// lastAttacks run at the end: they use up server-wide quotas (accounts)
// that the attacks before them need.
func lastAttacks() []attack {
	return []attack{
		{"account-flood-anypassword", "logins under ever new names from 250 addresses, creating accounts until the any-password quota", func(e *env) (string, error) {
			var k atomic.Int64
			return repeatConnect(e, 32, 250, func(nc net.Conn) error {
				_, err := e.loginOn(nc, "acct"+strconv.FormatInt(k.Add(1), 10), "")
				return err
			})
		}},
		{"everything-at-once", "the join flood, ping flood, offline flood and half-open connections together", func(e *env) (string, error) {
			var notes [3]string
			done := make(chan struct{})
			go func() {
				defer close(done)
				notes[0], _ = connFlood(e, 3000, 100, nil, e.streamHeader())
			}()
			e.parallel(2, func(i int) {
				if i == 0 {
					notes[1], _ = nonReading(e, 100, 100, func(k int64) string {
						return strings.Repeat("<iq type='get' id='p' to='"+e.domain+"'><ping xmlns='urn:xmpp:ping'/></iq>", 100)
					})
				} else {
					body := strings.Repeat("o", 50<<10)
					notes[2], _ = looped(e, 100, 100, func(s *session, k int64) error {
						return s.send("<message type='groupchat' to='nonread@" + e.muc + "'><body>" + body + "</body></message><message type='chat' to='off" + strconv.FormatInt(k%1000, 10) + "@" + e.domain + "'><body>" + body + "</body></message>")
					})
				}
			})
			<-done
			return e.counts(), nil
		}},
	}
}
