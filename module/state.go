package module

import "sync/atomic"

// Slots holds the per-module values of one account or session, indexed by
// the keys' slot numbers: no map, and nothing allocated for a module that
// never stores anything there. Guarded by the router's lock.
type Slots struct {
	v []any
}

// Size sums the bytes reported by every value that implements Sizer; the
// router adds it to an account's or session's footprint (for quotas).
func (s *Slots) Size() int {
	n := 0
	for _, v := range s.v {
		if z, ok := v.(Sizer); ok {
			n += z.Size()
		}
	}
	return n
}

// Each calls fn for every value set, with its key's name (for reports).
func (s *Slots) Each(fn func(name string, v any)) {
	for i, v := range s.v {
		if v != nil {
			fn(slotNames[i].Load().(string), v)
		}
	}
}

func (s *Slots) get(i int) any {
	if i < len(s.v) {
		return s.v[i]
	}
	return nil
}

func (s *Slots) set(i int, v any) {
	if i >= len(s.v) {
		s.v = append(s.v, make([]any, i+1-len(s.v))...)
	}
	s.v[i] = v
}

// Sizer is what a state value implements to report the bytes it holds
// (issue 11 puts quotas on them): an estimate of what it keeps alive,
// counted the same way every time.
type Sizer interface {
	Size() int
}

var (
	nslots    atomic.Int32
	slotNames [256]atomic.Value
)

func newSlot(name string) int {
	i := int(nslots.Add(1) - 1)
	if i >= len(slotNames) {
		panic("module: more than 256 state keys")
	}
	slotNames[i].Store(name)
	return i
}

// AccountState is a typed key to one module's per-account value of type T.
// Make one per package with NewAccountState: its slot number is fixed
// process-wide, so Get is a slice index whatever the server.
type AccountState[T any] struct{ slot int }

// NewAccountState returns a key; name (e.g. "blocking.list") names it in
// reports. Call it at package initialisation.
func NewAccountState[T any](name string) AccountState[T] {
	return AccountState[T]{newSlot(name)}
}

// Get returns a's value, or nil when none was ever made.
func (k AccountState[T]) Get(a Account) *T {
	v, _ := a.State().get(k.slot).(*T)
	return v
}

// Use returns a's value, making a zero one on first use.
func (k AccountState[T]) Use(a Account) *T {
	s := a.State()
	if v, ok := s.get(k.slot).(*T); ok {
		return v
	}
	v := new(T)
	s.set(k.slot, v)
	return v
}

// Drop forgets a's value (Get returns nil again).
func (k AccountState[T]) Drop(a Account) { a.State().set(k.slot, nil) }

// SessionState is AccountState for sessions: its value lives and dies
// with one bound session.
type SessionState[T any] struct{ slot int }

// NewSessionState returns a key; see NewAccountState.
func NewSessionState[T any](name string) SessionState[T] {
	return SessionState[T]{newSlot(name)}
}

// Get returns s's value, or nil when none was ever made.
func (k SessionState[T]) Get(s Session) *T {
	v, _ := s.State().get(k.slot).(*T)
	return v
}

// Use returns s's value, making a zero one on first use.
func (k SessionState[T]) Use(s Session) *T {
	st := s.State()
	if v, ok := st.get(k.slot).(*T); ok {
		return v
	}
	v := new(T)
	st.set(k.slot, v)
	return v
}

// Drop forgets s's value.
func (k SessionState[T]) Drop(s Session) { s.State().set(k.slot, nil) }
