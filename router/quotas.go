package router

import (
	"net"
	"strconv"
	"time"

	"github.com/muctest/muctest/c2s"
	"github.com/muctest/muctest/quota"
)

// This file holds the router's share of issue 11's quotas: resources per
// account at bind, and the accounts any-password mode creates at login,
// per remote address per minute and in total.

// resourcesRefused is the error of a bind past Quotas.Resources, worded as
// Prosody's mod_limit_resources: the session stays unbound (RFC 6120
// section 7.6.2.1, resource-constraint).
func (s *Router) resourcesRefused() error {
	return &c2s.BindRefused{Type: "cancel", Condition: "resource-constraint",
		Text: "Resource limit reached; only " + strconv.Itoa(s.quotas.Resources) + " resources allowed"}
}

// loginLimiter counts the accounts created at login per remote address in
// the current minute. Guarded by Router.mu; its map is emptied every
// minute, so it holds at most the addresses of one minute.
type loginLimiter struct {
	window time.Time
	byIP   map[string]int
	now    func() time.Time // time.Now; tests replace it
}

// allow reports whether remote may create one more account now, and
// counts it. A nil address (moduletest) is not limited.
func (l *loginLimiter) allow(remote net.Addr, limit int) bool {
	if remote == nil || limit < 0 {
		return true
	}
	host := remote.String()
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	now := time.Now
	if l.now != nil {
		now = l.now
	}
	t := now()
	if t.Sub(l.window) >= time.Minute || l.byIP == nil {
		l.window, l.byIP = t, map[string]int{}
	}
	if l.byIP[host] >= limit {
		return false
	}
	l.byIP[host]++
	return true
}

// CheckPlainFrom implements c2s.AddrAuthenticator: CheckPlain, where
// any-password mode creates an account only within Quotas.Accounts in total
// and Quotas.AccountsPerIPPerMinute for remote.
func (a *authenticator) CheckPlainFrom(remote net.Addr, username, password string) bool {
	s := (*Router)(a)
	s.mu.Lock()
	defer s.mu.Unlock()
	acct := s.accounts[username]
	if !s.anyPassword {
		return acct != nil && acct.password == password
	}
	if acct == nil {
		s.sweepLocked()
		if !quota.Within(s.quotas.Accounts, len(s.accounts), 1) || !s.logins.allow(remote, s.quotas.AccountsPerIPPerMinute) {
			return false
		}
		acct = newAccount(s, username, password)
		s.accounts[username] = acct
	}
	if acct.password == "" {
		acct.password = password
	}
	return true
}

var _ c2s.AddrAuthenticator = (*authenticator)(nil)

// stateLocked is what every account's modules hold that counts against
// Quotas.StateTotalBytes (quota.Used summed; provisional accounts are in
// s.accounts too), for quota.Total's recount.
// s.mu is held: Budget runs in handlers and hooks.
func (s *Router) stateLocked() int {
	n := 0
	for _, a := range s.accounts {
		n += quota.Used(a)
	}
	return n
}

// QuotaTotal implements quota.Totaled: every account of the server shares
// one bound on their state together.
func (a *account) QuotaTotal() *quota.Total { return a.srv.total }

var _ quota.Totaled = (*account)(nil)
