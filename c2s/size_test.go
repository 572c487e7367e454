package c2s

import (
	"testing"
	"time"
	"unsafe"
)

// TestSessionSize pins the memory every connection costs in its Session:
// one allocation of the size class that holds it. At 496 bytes (limits
// copied into each session, the overflow state kept by every session) it
// took the 512-byte class, 128 bytes per occupant more than it needs; the
// 384-byte class is what it had before issue 11's limits. A new field
// that pushes it over should go where it is used only sometimes (as
// overflow is).
func TestSessionSize(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("sized for 64-bit platforms")
	}
	const sizeClass = 384
	if n := unsafe.Sizeof(Session{}); n > sizeClass {
		t.Fatalf("Session is %d bytes, over the %d-byte size class", n, sizeClass)
	}
}

// TestSharedLimits checks that sessions of one Config share one copy of
// its defaulted Limits, and that different Limits stay apart.
func TestSharedLimits(t *testing.T) {
	a := Limits{IdleTimeout: 7 * time.Minute}
	p, q := sharedLimits(a), sharedLimits(a)
	if p != q {
		t.Fatal("the same Limits gave two copies")
	}
	if p.IdleTimeout != a.IdleTimeout || p.MaxStanzaBytes != DefaultMaxStanzaBytes || p.MaxQueueBytes != DefaultMaxQueueBytes {
		t.Fatalf("shared limits %+v: not %+v with the defaults", *p, a)
	}
	b := Limits{IdleTimeout: 8 * time.Minute}
	if r := sharedLimits(b); r == p || r.IdleTimeout != b.IdleTimeout {
		t.Fatalf("other Limits got %+v", *r)
	}
	// Past the table's size every call still gets the right values.
	for i := range maxSharedLimits + 2 {
		l := Limits{MaxDepth: 1000 + i}
		if got := sharedLimits(l); got.MaxDepth != l.MaxDepth || got.MaxAttrs != DefaultMaxAttrs {
			t.Fatalf("limits %d: %+v", i, *got)
		}
	}
}
