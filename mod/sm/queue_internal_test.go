package sm

import (
	"github.com/muctest/muctest/xmlnode"
	"math"
	"strconv"
	"testing"
	"time"
)

// TestAck checks the client's h against what was sent, modulo 2^32 as
// XEP-0198 section 5 counts.
func TestAck(t *testing.T) {
	for _, c := range []struct {
		name        string
		acked       uint32 // the client's previous h
		queued      int
		h           uint32
		ok          bool
		left, bytes int
	}{
		{"none", 0, 3, 0, true, 3, 3},
		{"some", 0, 3, 2, true, 1, 1},
		{"all", 0, 3, 3, true, 0, 0},
		{"too many", 0, 3, 4, false, 3, 3},
		{"backwards", 5, 3, 4, false, 3, 3},
		{"wrapping", math.MaxUint32 - 1, 3, 1, true, 0, 0},
		{"wrapping part", math.MaxUint32, 3, 0, true, 2, 2},
		{"wrapping too far", math.MaxUint32, 3, 3, false, 3, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := &state{srv: &server{m: Module{MaxUnacked: 10, MaxUnackedBytes: 100, RequestEvery: 100, Now: time.Now}}}
			q := &queue{st: st, acked: c.acked, sent: c.acked}
			st.out = q
			st.cur = &link{} // live, with no connection to write to
			for range c.queued {
				q.push([]byte("x"))
			}
			if ok := q.ack(c.h); ok != c.ok {
				t.Fatalf("ack(%d) = %v, want %v", c.h, ok, c.ok)
			}
			if len(q.items) != c.left || q.bytes != c.bytes {
				t.Fatalf("left %d items, %d bytes; want %d, %d", len(q.items), q.bytes, c.left, c.bytes)
			}
		})
	}
}

// BenchmarkQueue is what XEP-0198 adds to every stanza delivered to a
// stream-managed session: one serialisation kept until acknowledged,
// and the ack that drops it (here one ack per five stanzas).
func BenchmarkQueue(b *testing.B) {
	msg := xmlnode.MustParse(`<message xmlns='jabber:client' from='bob@localhost/pc' to='alice@localhost/phone' type='chat' id='x1'><body>Hello, how are you today?</body></message>`)
	st := &state{srv: &server{m: Module{MaxUnacked: DefaultMaxUnacked, MaxUnackedBytes: DefaultMaxUnackedBytes, RequestEvery: 1 << 30, Now: time.Now}}}
	q := &queue{st: st}
	st.out, st.cur = q, &link{}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		q.Send(msg)
		if i%5 == 4 {
			q.ack(q.sent)
		}
	}
}

// TestEndedLog: the log of ended streams forgets the oldest beyond its
// bound.
func TestEndedLog(t *testing.T) {
	var l endedLog
	for i := range maxEnded + 10 {
		l.add(strconv.Itoa(i), ended{user: "u", h: uint32(i)})
	}
	if _, ok := l.get("9"); ok {
		t.Error("the 10th oldest is still there")
	}
	if e, ok := l.get("10"); !ok || e.h != 10 {
		t.Errorf("get(10) = %v, %v", e, ok)
	}
	if len(l.byID) != maxEnded || len(l.order) != maxEnded {
		t.Errorf("%d ids, %d in order, want %d", len(l.byID), len(l.order), maxEnded)
	}
}
