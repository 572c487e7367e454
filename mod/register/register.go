// Package register is XEP-0077 In-Band Registration for logged-in users
// and for new accounts: a user reads its registration (<registered/>),
// changes its password, or removes its account (<remove/>); when the
// server allows registration (Module.Allow, Prosody's allow_registration),
// a client that has not authenticated yet gets the form and creates an
// account (see prereg.go).
//
// A removed account leaves a tombstone, as Prosody trunk's mod_tombstones
// does: for Module.TombstoneTTL the name cannot be registered again, and a
// stanza addressed to it gets a "gone" error (a presence probe or
// subscription request also an "unsubscribed"), so that a contact's client
// learns the account went away instead of waiting. In any-password mode,
// where anyone may log in as any name, logging in as the name again ends
// its tombstone.
//
// Account creation is capped (Module.PerIPPerMinute, Module.MaxAccounts):
// issue 11's "every quota in numbers" for an open server.
package register

import (
	"encoding/xml"
	"time"

	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/xmlnode"
)

// NS is XEP-0077's namespace; NSFeature its stream feature's.
const (
	NS        = "jabber:iq:register"
	NSFeature = "http://jabber.org/features/iq-register"
	nsClient  = "jabber:client"
)

// Defaults for zero Module fields.
const (
	// DefaultTombstoneTTL is how long a removed name stays reserved.
	DefaultTombstoneTTL = 30 * 24 * time.Hour
	// DefaultPerIPPerMinute bounds registrations from one address.
	DefaultPerIPPerMinute = 5
	// DefaultMaxAccounts bounds the accounts registration may create.
	DefaultMaxAccounts = 10000
	// MaxTombstones bounds the tombstones kept; the oldest go first.
	MaxTombstones = 100000
	// MaxPasswordBytes bounds a password set in-band.
	MaxPasswordBytes = 1024
)

// Module serves XEP-0077. The zero value allows password change and
// removal but no registration of new accounts, as Prosody's default.
type Module struct {
	// Allow opens registration of new accounts to clients that have not
	// authenticated (the stream feature and the form before SASL).
	Allow bool
	// TombstoneTTL is how long a removed account's name stays reserved
	// (zero: DefaultTombstoneTTL; negative: no tombstones).
	TombstoneTTL time.Duration
	// PerIPPerMinute and MaxAccounts cap registrations per remote address
	// per minute and accounts created by registration in all (zero: the
	// defaults; negative: no cap).
	PerIPPerMinute, MaxAccounts int
	// Now is the clock (time.Now when nil), for tests of expiry.
	Now func() time.Time
}

// Name implements module.Module.
func (Module) Name() string { return "register" }

// mod is one server's registration state, guarded by the router's lock
// (every handler and hook runs with it held; prereg.go takes it).
type mod struct {
	cfg        Module
	tombstones map[string]time.Time // name -> when removed
	order      []string             // tombstone names, oldest first
	// created counts the accounts registration made (MaxAccounts);
	// recent the registrations per remote address in the last minute.
	created int
	recent  map[string][]time.Time
}

// Register implements module.Module.
func (m Module) Register(r *module.Registrar) error {
	if m.Now == nil {
		m.Now = time.Now
	}
	if m.TombstoneTTL == 0 {
		m.TombstoneTTL = DefaultTombstoneTTL
	}
	if m.PerIPPerMinute == 0 {
		m.PerIPPerMinute = DefaultPerIPPerMinute
	}
	if m.MaxAccounts == 0 {
		m.MaxAccounts = DefaultMaxAccounts
	}
	s := &mod{cfg: m, tombstones: map[string]time.Time{}}
	q := xml.Name{Space: NS, Local: "query"}
	r.IQ(module.IQ{To: module.ToSelf | module.ToDomain, Type: module.Get | module.Set, Payload: q, Handle: s.handle})
	r.Feature(module.OnServer, NS)
	r.OnAccountRemoved(module.After-10, s.bury)
	r.OnPresenceSent(module.Filter+10, s.guard)
	r.OnMessageSent(module.Filter+10, s.guard)
	r.OnIQSent(module.Filter+10, s.guard)
	r.OnSessionBound(module.After, s.revived)
	if m.Allow {
		s.registerPreAuth(r)
	}
	return nil
}

// handle answers a logged-in user's registration requests (XEP-0077
// sections 3.1 to 3.3).
func (s *mod) handle(q *module.Request) {
	if q.Session == nil {
		q.Error(stanza.Cancel, stanza.NotAllowed, "")
		return
	}
	a := q.Session.Account()
	if q.IsGet() {
		res := q.Result()
		qq := res.AddChild(NS, "query")
		qq.AddChild(NS, "registered")
		qq.AddChild(NS, "username").SetText(a.Name())
		qq.AddChild(NS, "password")
		q.Reply(res)
		return
	}
	if q.Payload.Child(NS, "remove") != nil {
		am := module.Accounts(q.Context)
		if am == nil {
			q.Error(stanza.Wait, stanza.InternalServerError, "")
			return
		}
		q.Reply(q.Result())
		am.RemoveAccount(a, "Account removed")
		return
	}
	user, pass := q.Payload.Child(NS, "username"), q.Payload.Child(NS, "password")
	if user == nil || pass == nil || pass.Text() == "" {
		q.Error(stanza.Modify, stanza.BadRequest, "Username and password are required")
		return
	}
	if !sameUser(user.Text(), a.Name(), q.Domain()) {
		q.Error(stanza.Modify, stanza.NotAllowed, "Only the logged-in account may be changed")
		return
	}
	if len(pass.Text()) > MaxPasswordBytes {
		q.Error(stanza.Modify, stanza.NotAcceptable, "Password too long")
		return
	}
	am := module.Accounts(q.Context)
	if am == nil {
		q.Error(stanza.Wait, stanza.InternalServerError, "")
		return
	}
	am.SetPassword(a, pass.Text())
	q.Reply(q.Result())
}

// sameUser reports whether the username field u names the account name.
func sameUser(u, name, domain string) bool {
	j, err := jid.New(u, domain, "")
	return err == nil && j.Localpart() == name
}

// bury keeps a tombstone for a removed account.
func (s *mod) bury(_ module.Context, a module.Account) {
	if s.cfg.TombstoneTTL < 0 {
		return
	}
	name := a.Name()
	if _, ok := s.tombstones[name]; !ok {
		s.order = append(s.order, name)
	}
	s.tombstones[name] = s.cfg.Now()
	for len(s.order) > MaxTombstones {
		delete(s.tombstones, s.order[0])
		s.order = s.order[1:]
	}
}

// buried reports whether name has a live tombstone, forgetting expired
// ones on the way.
func (s *mod) buried(name string) bool {
	t, ok := s.tombstones[name]
	if !ok {
		return false
	}
	if s.cfg.Now().Sub(t) < s.cfg.TombstoneTTL {
		return true
	}
	delete(s.tombstones, name)
	for i, n := range s.order {
		if n == name {
			s.order = append(s.order[:i], s.order[i+1:]...)
			break
		}
	}
	return false
}

// revived forgets the tombstone of a name someone logged in as again,
// which only any-password mode allows (a removed account has no password
// otherwise): the name is in use, and stanzas for it must reach it.
func (s *mod) revived(_ module.Context, sess module.Session) {
	name := sess.Account().Name()
	if _, ok := s.tombstones[name]; !ok {
		return
	}
	delete(s.tombstones, name)
	for i, n := range s.order {
		if n == name {
			s.order = append(s.order[:i], s.order[i+1:]...)
			break
		}
	}
}

// guard stops a stanza for a removed account (one with a live tombstone)
// and answers it with "gone", plus "unsubscribed" for a probe or
// subscription request.
func (s *mod) guard(c module.Context, ev *module.Sent) bool {
	to := ev.To
	if to.Localpart() == "" || to.Domainpart() != c.Domain() || len(s.tombstones) == 0 {
		return false
	}
	name := to.Localpart()
	if !s.buried(name) {
		return false
	}
	st := ev.Stanza
	typ := st.Attrib("type")
	switch {
	case typ == "error" || typ == "result":
	case st.Name.Local == "presence" && typ != "" && typ != "probe" && typ != "subscribe":
		// unavailable, subscribed, unsubscribe(d): nothing to answer.
	default:
		c.Bounce(st, stanza.Cancel, "gone", "User deleted")
		if st.Name.Local == "presence" && (typ == "probe" || typ == "subscribe") {
			// Straight to the asking session: routed to the bare JID, the
			// roster would drop an "unsubscribed" from a contact it lacks.
			ev.Session.Send(xmlnode.New(nsClient, "presence", "type", "unsubscribed",
				"from", to.Bare().String(), "to", ev.Session.JID().Bare().String()))
		}
	}
	return true
}
