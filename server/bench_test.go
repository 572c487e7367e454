package server_test

import (
	"bytes"
	"fmt"
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
	msg := []byte(fmt.Sprintf(`<message to="%s" type="chat"><body>hello, this is a benchmark message</body></message>`, c.JID))
	done := make(chan struct{})
	b.ResetTimer()
	go func() {
		defer close(done)
		drain(c, []byte("</message>"), b.N)
	}()
	batch := bytes.Repeat(msg, 100)
	for i := 0; i < b.N; i += 100 {
		n := min(100, b.N-i)
		if _, err := a.Conn.Write(batch[:n*len(msg)]); err != nil {
			b.Fatal(err)
		}
	}
	<-done
}
