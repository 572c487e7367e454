package router

import "github.com/muctest/muctest/quota"

// This file keeps "any stanza to a new name creates an account" from
// growing the server (issue 11). In any-password mode a stanza to a name
// that never logged in is routed to an account made for it, so that the
// modules answer as for any account; once the stanza has been handled the
// account is kept only when it holds something (a module's state of
// non-zero size, a session, a password), and forgotten otherwise. Every
// account counts against Quotas.Accounts: past it a stanza to a new name
// is answered as for a nonexistent account (service-unavailable).

// provisionalLocked makes an account for name that sweepLocked forgets again
// unless it is used, or returns nil when the server holds Quotas.Accounts
// accounts. s.mu is held.
func (s *Router) provisionalLocked(name string) *account {
	s.sweepLocked()
	if !quota.Within(s.quotas.Accounts, len(s.accounts), 1) {
		return nil
	}
	a := newAccount(s, name, "")
	s.accounts[name] = a
	s.provisional = append(s.provisional, a)
	return a
}

// sweepLocked forgets the provisional accounts that nothing kept. It runs
// before the next provisional account is made, so that at most the
// accounts one stanza touched are pending at any time. s.mu is held.
func (s *Router) sweepLocked() {
	for _, a := range s.provisional {
		if len(a.sessions) == 0 && a.password == "" && a.scram == nil && a.state.Size() == 0 && s.accounts[a.name] == a {
			delete(s.accounts, a.name)
		}
	}
	clear(s.provisional)
	s.provisional = s.provisional[:0]
}

// Accounts reports how many accounts the router holds (provisional ones
// not yet swept included), for quotas and tests.
func (s *Router) Accounts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked()
	return len(s.accounts)
}
