package router

import (
	"net"
	"strconv"
	"time"

	"github.com/muctest/muctest/c2sapi"
	"github.com/muctest/muctest/quota"
)

// This file holds the router's share of issue 11's quotas: resources per
// account at bind, the accounts any-password mode creates at login, per
// remote address per minute and in total, and the server-wide Total of
// every account's stored state that quota.Budget checks.

// QuotaTotal implements quota.TotalKeeper: the server's Total
// (Quotas.TotalBytes), which quota.Budget checks after the account's own
// AccountBytes. s.mu is held, as in every Budget.
func (a *account) QuotaTotal() *quota.Total { return a.srv.total }

var _ quota.TotalKeeper = (*account)(nil)

// resourcesRefused is the error of a bind past Quotas.Resources, worded as
// Prosody's mod_limit_resources: the session stays unbound (RFC 6120
// section 7.6.2.1, resource-constraint).
func (s *Router) resourcesRefused() error {
	return &c2sapi.BindRefused{Type: "cancel", Condition: "resource-constraint",
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

// CheckPlainFrom implements c2sapi.AddrAuthenticator: CheckPlain, where
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

var _ c2sapi.AddrAuthenticator = (*authenticator)(nil)
