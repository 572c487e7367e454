package router_test

import (
	"errors"
	"net"
	"strconv"
	"testing"

	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/muctest/muctest/c2sapi"
	"github.com/muctest/muctest/mod/offline"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/moduletest"
	"github.com/muctest/muctest/quota"
	"github.com/muctest/muctest/router"
	"github.com/muctest/muctest/xmlnode"
)

func bindReply() *xmlnode.Element { return xmlnode.New(stanza.NSClient, "iq", "type", "result") }

// TestResourcesQuota: a bind past Quotas.Resources is refused with
// c2sapi.BindRefused (cancel/resource-constraint, which c2s answers as a
// stanza error); rebinding a bound resource replaces it as before, and a
// resource freed can be bound again.
func TestResourcesQuota(t *testing.T) {
	r, err := router.New(router.Config{Domain: "localhost", AnyPassword: true, Quotas: quota.Limits{Resources: 3}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var hs []c2sapi.Handler
	for i := range 3 {
		h, err := r.Bind(&countingConn{}, jid.MustParse("a@localhost/r"+strconv.Itoa(i)), bindReply())
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
	}
	_, err = r.Bind(&countingConn{}, jid.MustParse("a@localhost/r9"), bindReply())
	var refused *c2sapi.BindRefused
	if !errors.As(err, &refused) || refused.Type != "cancel" || refused.Condition != "resource-constraint" {
		t.Fatalf("fourth bind: %v, want a cancel/resource-constraint refusal", err)
	}
	if _, err := r.Bind(&countingConn{}, jid.MustParse("a@localhost/r1"), bindReply()); err != nil {
		t.Fatalf("replacing a bound resource: %v", err)
	}
	hs[0].Close("gone")
	if _, err := r.Bind(&countingConn{}, jid.MustParse("a@localhost/r9"), bindReply()); err != nil {
		t.Fatalf("bind after one session ended: %v", err)
	}
}

// TestStanzaToNewNameCreatesNothing: in any-password mode a stanza to a
// name nobody has logged in as leaves no account behind unless a module
// kept something for it (an offline message); past Quotas.Accounts a new
// name is answered as a nonexistent account.
func TestStanzaToNewNameCreatesNothing(t *testing.T) {
	s := moduletest.New(t, module.New("none", func(*module.Registrar) error { return nil }))
	a := s.Login("alice@localhost/a")
	before := s.Router.Accounts()
	for i := range 1000 {
		a.Send(`<iq type="get" id="v" to="n` + strconv.Itoa(i) + `@localhost"><query xmlns="jabber:iq:version"/></iq>`)
		a.Send(`<presence type="probe" to="p` + strconv.Itoa(i) + `@localhost"/>`)
		a.Send(`<message type="chat" to="m` + strconv.Itoa(i) + `@localhost"><body>x</body></message>`)
	}
	a.Received()
	if got := s.Router.Accounts(); got != before {
		t.Fatalf("%d accounts after stanzas to 3000 new names, want %d", got, before)
	}

	s = moduletest.New(t, offline.Module{})
	a = s.Login("alice@localhost/a")
	a.Send(`<message type="chat" to="juliet@localhost"><body>kept</body></message>`)
	a.ExpectNothing()
	if got := s.Router.Accounts(); got != 2 {
		t.Fatalf("%d accounts after an offline message to a new name, want 2", got)
	}
	j := s.Login("juliet@localhost/j")
	j.Send(`<presence/>`)
	if got := j.Received(); len(got) != 2 || got[1].ChildText("", "body") != "kept" {
		t.Fatalf("juliet got %v, want her presence and the offline message", got)
	}
}

// TestAccountsQuota: any-password logins create accounts within
// Quotas.AccountsPerIPPerMinute per address and Quotas.Accounts in all;
// existing accounts still log in.
func TestAccountsQuota(t *testing.T) {
	r, err := router.New(router.Config{Domain: "localhost", AnyPassword: true,
		Quotas: quota.Limits{Accounts: 5, AccountsPerIPPerMinute: 3}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	auth := r.Auth().(c2sapi.AddrAuthenticator)
	ip1 := &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 1000}
	ip2 := &net.TCPAddr{IP: net.IPv4(192, 0, 2, 2), Port: 1000}
	for i, want := range []bool{true, true, true, false} {
		if got := auth.CheckPlainFrom(ip1, "u"+strconv.Itoa(i), "pw"); got != want {
			t.Errorf("login %d from ip1: %v, want %v", i, got, want)
		}
	}
	if !auth.CheckPlainFrom(ip1, "u0", "pw") {
		t.Error("an existing account was refused")
	}
	for i, want := range []bool{true, true, false} {
		if got := auth.CheckPlainFrom(ip2, "v"+strconv.Itoa(i), "pw"); got != want {
			t.Errorf("login %d from ip2: %v, want %v (5 accounts in all)", i, got, want)
		}
	}
}
