package module

import "errors"

// AccountHook is a hook on an account's life: OnAccountRemoved.
type AccountHook func(c Context, a Account)

// OnAccountRemoved hooks the removal of an account (XEP-0077 <remove/>, an
// XEP-0133 delete-user command), before its sessions end and its state is
// dropped: mod/roster tells its contacts there, while the roster is still
// there to name them. Every module's AccountState is dropped afterwards
// without a hook of its own.
func (r *Registrar) OnAccountRemoved(priority int, f AccountHook) {
	r.hook(HookEntry{Kind: AccountRemoved, Priority: priority, Account: f})
}

// ErrAccountExists is what AccountManager.CreateAccount returns for a name
// that is taken.
var ErrAccountExists = errors.New("module: account exists")

// AccountManager is the account store as the account-management modules
// (XEP-0077 registration, XEP-0133 administration) see it. The router's
// Context implements it; get it with Accounts. Like Context it is only
// valid during the call, with the router's lock held.
type AccountManager interface {
	// AccountExists reports whether name has an account now, without
	// making one (as Context.Account does in any-password mode).
	AccountExists(name string) bool
	// CreateAccount makes an account for the localpart name, or returns
	// ErrAccountExists.
	CreateAccount(name, password string) (Account, error)
	// SetPassword changes a's password (SCRAM credentials derived from the
	// old one are forgotten).
	SetPassword(a Account, password string)
	// RemoveAccount removes a: the OnAccountRemoved hooks run, every
	// session of a ends with a not-authorized stream error whose text is
	// text (after the stanzas already queued for it, such as the result
	// of the removal request), every module's state of a is dropped and
	// the name is free again.
	RemoveAccount(a Account, text string)
	// EndSession ends s: it goes offline (unavailable presence with text
	// as its status) and its stream is closed with a policy-violation
	// stream error, after what was already queued for it (XEP-0133 end
	// user session).
	EndSession(s Session, text string)
	// EachAccount calls fn for every existing account, in no set order,
	// until fn returns false.
	EachAccount(fn func(Account) bool)
}

// Accounts returns c's AccountManager, or nil when c has none (a Context
// that is not the router's).
func Accounts(c Context) AccountManager {
	m, _ := c.(AccountManager)
	return m
}

// Locked runs fn with the router's lock held and a Context, for code that
// runs where the router holds none: a c2s stream element handler before
// authentication (XEP-0077 registration), an HTTP handler. It returns once
// fn has and what fn routed is on its way. Never call it from a handler or
// hook, which already hold the lock. The returned function is valid once
// the server is made (at New); it must not be called during Register.
func (r *Registrar) Locked() func(fn func(c Context)) {
	env := &r.env
	return func(fn func(c Context)) {
		if env.Locked != nil {
			env.Locked(fn)
		}
	}
}
