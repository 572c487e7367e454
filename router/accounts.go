package router

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"hash"
	"iter"

	"mellium.im/xmpp/jid"

	"github.com/muctest/muctest/jidcheck"
	"github.com/muctest/muctest/module"
)

// scramIterations is the PBKDF2 iteration count offered to SCRAM clients:
// RFC 7677's recommended minimum, cheap enough for tests.
const scramIterations = 4096

// account is one user's stored state: credentials, the sessions currently
// bound to it and the modules' state (module.Slots). Everything is guarded
// by Router.mu.
type account struct {
	name     string
	password string
	scram    map[string]scramCreds // by mechanism name

	sessions []*session // bound sessions in bind order

	srv   *Router
	state module.Slots
	flags uint64 // module.Flag bits
	// bare is the account's JID, made on first use: modules ask for it
	// per delivery (a presence broadcast to 1,000 contacts asked 1,000
	// times), and making it runs PRECIS each time.
	bare jid.JID
}

var _ module.Account = (*account)(nil)

func (a *account) Name() string { return a.name }
func (a *account) JID() jid.JID {
	if a.bare.Localpart() == "" {
		a.bare = a.srv.bareJID(a.name)
	}
	return a.bare
}
func (a *account) State() *module.Slots { return &a.state }
func (a *account) Flagged() bool        { return a.flags != 0 }

func (a *account) SetFlag(f module.Flag, on bool) {
	if on {
		a.flags |= 1 << f
	} else {
		a.flags &^= 1 << f
	}
}

func (a *account) Sessions() iter.Seq[module.Session] {
	return func(yield func(module.Session) bool) {
		for _, ss := range a.sessions {
			if !yield(ss) {
				return
			}
		}
	}
}

func (a *account) Session(res string) module.Session {
	if ss := a.session(res); ss != nil {
		return ss
	}
	return nil
}

type scramCreds struct {
	salt, salted []byte
}

func newAccount(r *Router, name, password string) *account {
	// The maps are made on first write: most accounts of a test server
	// never use most of them, and each empty map costs 48 bytes.
	return &account{srv: r, name: name, password: password}
}

// accountLocked returns the account for localpart name, or nil. In
// any-password mode every valid localpart exists, as with Prosody's
// insecure auth: a stanza to a name nobody has used gets a provisional
// account (see provisional.go) that is forgotten again unless a module kept
// something for it (an offline message, a subscription request), within
// Quotas.Accounts. s.mu must be held.
func (s *Router) accountLocked(name string) *account {
	if a := s.accounts[name]; a != nil {
		return a
	}
	if !s.anyPassword || name == "" {
		return nil
	}
	return s.provisionalLocked(name)
}

// authenticator implements c2sapi.Authenticator on the Server's accounts.
type authenticator Router

func (a *authenticator) CheckPlain(username, password string) bool {
	return a.CheckPlainFrom(nil, username, password)
}

func (a *authenticator) SCRAMCredentials(username, mechanism string) (salt, salted []byte, iter int, ok bool) {
	s := (*Router)(a)
	var fn func() hash.Hash
	switch mechanism {
	case "SCRAM-SHA-1":
		fn = sha1.New
	case "SCRAM-SHA-256":
		fn = sha256.New
	default:
		return nil, nil, 0, false
	}
	s.mu.Lock()
	acct := s.accounts[username]
	if acct == nil || acct.password == "" {
		s.mu.Unlock()
		return nil, nil, 0, false
	}
	if c, ok := acct.scram[mechanism]; ok {
		s.mu.Unlock()
		return c.salt, c.salted, scramIterations, true
	}
	password := acct.password
	s.mu.Unlock()

	salt = make([]byte, 16)
	_, _ = rand.Read(salt)
	// SCRAM's Hi (RFC 5802 section 2.2) is PBKDF2 with HMAC and the
	// hash's size, as mellium.im/sasl's SCRAMSaltPassword computes it;
	// crypto/pbkdf2 rather than that package, which imports crypto/tls
	// for channel binding, so that the router's test binaries and every
	// module's link no TLS (issue 10). It fails only for a key length out
	// of range, or under GODEBUG=fips140=only for a hash FIPS refuses: the
	// account then has no credentials for this mechanism.
	salted, err := pbkdf2.Key(fn, password, salt, scramIterations, fn().Size())
	if err != nil {
		return nil, nil, 0, false
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := acct.scram[mechanism]; ok {
		return c.salt, c.salted, scramIterations, true
	}
	if acct.scram == nil {
		acct.scram = map[string]scramCreds{}
	}
	acct.scram[mechanism] = scramCreds{salt: salt, salted: salted}
	return salt, salted, scramIterations, true
}

// bareJID builds localpart@domain for a known-valid localpart.
func (s *Router) bareJID(local string) jid.JID {
	j, _ := jidcheck.NewFast(local, s.domain, "")
	return j
}
