package jidcheck

import (
	"strconv"
	"testing"
)

func TestMemo(t *testing.T) {
	var m Memo[int]
	if _, ok := m.Load("a"); ok {
		t.Fatal("the zero Memo remembers something")
	}
	m.Store("a", 1, 3)
	m.Store("b", 2, 3)
	if v, ok := m.Load("a"); !ok || v != 1 {
		t.Fatalf("Load(a) = %d %v, want 1 true", v, ok)
	}
	m.Store("b", 3, 3) // replacing an entry does not grow it
	m.Store("c", 4, 3)
	if v, ok := m.Load("b"); !ok || v != 3 {
		t.Fatalf("Load(b) = %d %v, want 3 true", v, ok)
	}
	// Full at 3: the fourth clears it first.
	m.Store("d", 5, 3)
	for _, s := range []string{"a", "b", "c"} {
		if _, ok := m.Load(s); ok {
			t.Fatalf("%s still remembered after the memo filled", s)
		}
	}
	if v, ok := m.Load("d"); !ok || v != 5 {
		t.Fatalf("Load(d) = %d %v, want 5 true", v, ok)
	}
	for i := range 100 {
		m.Store(strconv.Itoa(i), i, 10)
		if n := m.Len(); n > 10 {
			t.Fatalf("%d entries held, bound 10", n)
		}
	}
}
