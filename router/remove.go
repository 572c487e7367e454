package router

import (
	"fmt"

	"mellium.im/xmpp/stream"

	"github.com/muctest/muctest/jidcheck"
	"github.com/muctest/muctest/module"
)

// The txn implements module.AccountManager for the account-management
// modules (XEP-0077, XEP-0133).
var _ module.AccountManager = (*txn)(nil)

func (tx *txn) AccountExists(name string) bool { return tx.r.accounts[name] != nil }

func (tx *txn) CreateAccount(name, password string) (module.Account, error) {
	j, err := jidcheck.NewFast(name, tx.r.domain, "")
	if err != nil || j.Localpart() == "" || j.Localpart() != name {
		return nil, fmt.Errorf("router: bad account name %q", name)
	}
	if tx.r.accounts[name] != nil {
		return nil, module.ErrAccountExists
	}
	a := newAccount(tx.r, name, password)
	tx.r.accounts[name] = a
	return a, nil
}

func (tx *txn) SetPassword(a module.Account, password string) {
	acct := a.(*account)
	acct.password = password
	acct.scram = nil
}

func (tx *txn) EachAccount(fn func(module.Account) bool) {
	for _, a := range tx.r.accounts {
		if !fn(a) {
			return
		}
	}
}

func (tx *txn) RemoveAccount(a module.Account, text string) {
	tx.r.removeAccountLocked(tx, a.(*account), text)
}

// removeAccountLocked removes a: its hooks first (the roster tells the
// contacts), then its sessions end (unavailable presence to whoever still
// has it, such as MUC rooms, then a stream error queued after what they
// already had), then its state goes.
func (s *Router) removeAccountLocked(tx *txn, a *account, text string) {
	if s.accounts[a.name] != a {
		return // already removed
	}
	for _, h := range s.hooks[module.AccountRemoved] {
		h.Account(tx, a)
	}
	for len(a.sessions) > 0 {
		ss := a.sessions[0]
		s.unbindLocked(tx, ss, "Account removed")
		ss.c.CloseWithError(stream.NotAuthorized, text)
	}
	a.state = module.Slots{}
	s.total.Forget(a)
	a.flags = 0
	a.password, a.scram = "", nil
	delete(s.accounts, a.name)
}

func (tx *txn) EndSession(s module.Session, text string) {
	ss := s.(*session)
	if ss.gone {
		return
	}
	tx.r.unbindLocked(tx, ss, text)
	ss.c.CloseWithError(stream.PolicyViolation, text)
}

// locked runs fn with the lock held and a txn of its own, recovering a
// panic in it as the other entry points do (module.Registrar.Locked).
func (s *Router) locked(fn func(c module.Context)) {
	tx := &txn{r: s}
	func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		defer s.recoverStanza(tx, nil)
		fn(tx)
	}()
	s.flush(tx)
}
