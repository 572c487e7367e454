package main

import (
	"fmt"
	"html"
	"io"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// uploadPutAttacks go after the HTTP side of XEP-0363 (mucd -http): what a
// PUT to a granted slot makes the server hold.
func uploadPutAttacks() []attack {
	return []attack{
		{"upload-put-flood", "150 accounts over 150 addresses requesting 10 MB slots and PUTting them in full at line rate, and 50 more PUTting one byte every 500 ms", func(e *env) (string, error) {
			if e.b.o.httpAddr == "" {
				return "skipped: no -http (mucd serves no HTTP by default)", nil
			}
			return uploadPutFlood(e)
		}},
	}
}

var putRE = regexp.MustCompile(`<put[^>]*url=["']([^"']+)["']`)
var bearerRE = regexp.MustCompile(`Bearer ([^<]+)<`)

// slot asks for an upload slot of size bytes and returns its PUT URL and
// Authorization header.
func (s *session) slot(n int64, size int) (string, string, error) {
	id := "u" + strconv.FormatInt(n, 10)
	if err := s.send("<iq type='get' id='" + id + "' to='upload." + s.e.domain + "'><request xmlns='urn:xmpp:http:upload:0' filename='f" + id + ".bin' size='" + strconv.Itoa(size) + "' content-type='application/octet-stream'/></iq>"); err != nil {
		return "", "", err
	}
	got, err := s.readUntil("</iq>")
	if err != nil {
		return "", "", err
	}
	m, b := putRE.FindStringSubmatch(got), bearerRE.FindStringSubmatch(got)
	if m == nil || b == nil {
		return "", "", fmt.Errorf("no slot: %.200s", got)
	}
	return html.UnescapeString(m[1]), "Bearer " + html.UnescapeString(b[1]), nil
}

func uploadPutFlood(e *env) (string, error) {
	const size = 10_000_000
	var puts, slow, refused atomic.Int64
	chunk := []byte(strings.Repeat("u", 64<<10))
	e.parallel(200, func(i int) {
		for k := int64(0); !e.done(); k++ {
			s, err := e.login(ip(i), "put"+strconv.Itoa(i), "", false)
			if err != nil {
				time.Sleep(50 * time.Millisecond)
				continue
			}
			u, auth, err := s.slot(k, size)
			s.nc.Close()
			if err != nil {
				refused.Add(1)
				time.Sleep(100 * time.Millisecond)
				continue
			}
			pu, err := url.Parse(u)
			if err != nil {
				return
			}
			d := net.Dialer{LocalAddr: &net.TCPAddr{IP: ip(i)}, Timeout: 5 * time.Second}
			nc, err := d.DialContext(e.ctx, "tcp", pu.Host)
			if err != nil {
				continue
			}
			e.opened.Add(1)
			_, err = io.WriteString(nc, "PUT "+pu.RequestURI()+" HTTP/1.1\r\nHost: "+pu.Host+"\r\nAuthorization: "+auth+"\r\nContent-Type: application/octet-stream\r\nContent-Length: "+strconv.Itoa(size)+"\r\n\r\n")
			if i%4 != 3 {
				for sent := 0; err == nil && sent < size && !e.done(); sent += len(chunk) {
					_ = nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
					_, err = nc.Write(chunk[:min(len(chunk), size-sent)])
				}
				if err == nil {
					puts.Add(1)
					_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
					_, _ = nc.Read(make([]byte, 512))
				}
			} else {
				slow.Add(1)
				for err == nil && !e.done() {
					_ = nc.SetWriteDeadline(time.Now().Add(time.Second))
					_, err = nc.Write([]byte{'s'})
					select {
					case <-e.ctx.Done():
					case <-time.After(500 * time.Millisecond):
					}
				}
			}
			nc.Close()
		}
	})
	return fmt.Sprintf("%d full PUTs, %d slow PUTs, %d slots refused, ", puts.Load(), slow.Load(), refused.Load()) + e.counts(), nil
}
