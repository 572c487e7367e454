package server_test

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
)

// BenchmarkMessageThroughput measures routing one chat message from one
// session to another's full JID, wire to wire.
func BenchmarkMessageThroughput(b *testing.B) {
	srv := servertest.New(b, server.Config{})
	a := dialRaw(b, srv).login("alice", "")
	c := dialRaw(b, srv).login("bob", "")
	msg := []byte(fmt.Sprintf(`<message to="%s" type="chat"><body>hello, this is a benchmark message</body></message>`, c.jid))
	done := make(chan error, 1)
	b.ResetTimer()
	go func() {
		// Count closing </message> tags on the receiving socket ('<'
		// occurs only at the start of the pattern, so no backtracking).
		pat := []byte("</message>")
		buf := make([]byte, 64<<10)
		seen, j := 0, 0
		for seen < b.N {
			n, err := c.conn.Read(buf)
			if err != nil {
				done <- err
				return
			}
			for _, ch := range buf[:n] {
				switch {
				case ch == pat[j]:
					j++
				case ch == pat[0]:
					j = 1
				default:
					j = 0
				}
				if j == len(pat) {
					seen, j = seen+1, 0
				}
			}
		}
		done <- nil
	}()
	batch := bytes.Repeat(msg, 100)
	for i := 0; i < b.N; i += 100 {
		n := min(100, b.N-i)
		if _, err := a.conn.Write(batch[:n*len(msg)]); err != nil {
			b.Fatal(err)
		}
	}
	if err := <-done; err != nil && err != io.EOF {
		b.Fatal(err)
	}
}
