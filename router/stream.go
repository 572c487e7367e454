package router

import "github.com/muctest/muctest/module"

var _ module.Stream = (*session)(nil)

// Do implements module.Stream: fn runs with the lock held, like a hook, and
// what it routes to components is handed over after the lock is released.
func (ss *session) Do(fn func(c module.Context)) {
	s := ss.srv
	tx := &txn{r: s}
	func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		defer s.recoverStanza(tx, nil)
		fn(tx)
	}()
	s.flush(tx)
}

// Conn and SetConn implement module.Stream; the lock is held.
func (ss *session) Conn() module.Conn     { return ss.c }
func (ss *session) SetConn(c module.Conn) { ss.c = c }
