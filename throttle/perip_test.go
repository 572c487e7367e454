package throttle

import (
	"net"
	"testing"
	"time"
)

// TestPerIP steps a per-address limiter on a fake clock: each IP has its
// own burst whatever its port, the rate gives one event back every
// Per/Burst, and a nil limiter (the zero Rate) allows everything.
func TestPerIP(t *testing.T) {
	now := time.Unix(1000, 0)
	l := NewPerIP(Rate{Burst: 2, Per: 2 * time.Second})
	l.now = func() time.Time { return now }
	a1 := &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 1}
	a2 := &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 2} // same IP
	b := &net.TCPAddr{IP: net.IPv4(192, 0, 2, 2), Port: 1}
	steps := []struct {
		advance time.Duration
		addr    net.Addr
		want    bool
	}{
		{0, a1, true},
		{0, a2, true},
		{0, a1, false}, // the burst of the IP, not of the port, is spent
		{0, b, true},   // others unaffected
		{999 * time.Millisecond, a2, false},
		{time.Millisecond, a2, true}, // one back after Per/Burst
		{0, a1, false},
		{time.Hour, a1, true}, // a quiet spell gives the burst back...
		{0, a1, true},
		{0, a1, false}, // ...but no more
	}
	for i, s := range steps {
		now = now.Add(s.advance)
		if got := l.Allow(s.addr); got != s.want {
			t.Fatalf("step %d (%v): Allow = %v, want %v", i, s.addr, got, s.want)
		}
	}
	if NewPerIP(Rate{}) != nil || !(*PerIP)(nil).Allow(a1) || NewPerIP(Rate{}).AllowFunc() != nil {
		t.Fatal("the zero Rate must give a nil limiter that allows everything and no hook")
	}
}

// TestPerIPTableBounded checks that addresses quiet long enough for their
// bucket to be full again are forgotten once the table reaches
// maxBuckets, so that a spread of source addresses cannot grow it.
func TestPerIPTableBounded(t *testing.T) {
	now := time.Unix(1000, 0)
	l := NewPerIP(Rate{Burst: 1, Per: time.Second})
	l.now = func() time.Time { return now }
	for i := range maxBuckets {
		l.Allow(&net.TCPAddr{IP: net.IPv4(10, byte(i>>16), byte(i>>8), byte(i))})
	}
	if n := len(l.buckets); n != maxBuckets {
		t.Fatalf("table holds %d buckets, want %d", n, maxBuckets)
	}
	now = now.Add(time.Second) // every bucket full again
	if !l.Allow(&net.TCPAddr{IP: net.IPv4(192, 0, 2, 9)}) {
		t.Fatal("a new address was refused")
	}
	if n := len(l.buckets); n != 1 {
		t.Errorf("after the sweep the table holds %d buckets, want 1", n)
	}
}
