// Package vcard is XEP-0054 vcard-temp: every account has one vCard that
// anyone may read (an empty one until its owner sets it, as Prosody
// answers) and only its owner may replace. It also adds XEP-0153's
// <x xmlns='vcard-temp:x:update'><photo/></x> marker to every available
// presence a client sends without one, as Prosody's mod_vcard_legacy does
// (MUC scripts expect it on room presence).
package vcard

import (
	"encoding/xml"

	"mellium.im/xmpp/stanza"

	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/quota"
	"github.com/muctest/muctest/xmlnode"
)

// Namespaces of XEP-0054 and XEP-0153.
const (
	NS       = "vcard-temp"
	NSUpdate = "vcard-temp:x:update"
)

// stored is an account's vCard in its wire form (written in namespace
// NS, as the quotas count it) and that form's length. The wire form is
// what the vCard costs; as a tree it would cost up to 24 times as much
// (many tiny elements), for as long as the account exists. It is parsed
// on each get, which is rare.
type stored struct {
	card  string
	bytes int
}

// parsed returns s's vCard as a tree of the caller's own, or nil when
// none is set.
func (s *stored) parsed() *xmlnode.Element {
	if s == nil || s.card == "" {
		return nil
	}
	card, err := xmlnode.ParseIn(s.card, NS)
	if err != nil {
		// What AppendTo wrote parses back (xmlnode's round trip
		// property): not reached, and read as no vCard.
		return nil
	}
	return card
}

// Size implements module.Sizer: the vCard's encoded length.
func (s *stored) Size() int { return s.bytes }

var cards = module.NewAccountState[stored]("vcard")

// Module serves vCards and adds the photo marker. Limits (quota.Limits,
// defaults when zero) bound a vCard's wire bytes (VCardBytes:
// not-acceptable) and the account's total (AccountBytes:
// resource-constraint, wait); a refused set keeps the old vCard.
type Module struct{ Limits quota.Limits }

// Name implements module.Module.
func (Module) Name() string { return "vcard" }

// Register implements module.Module.
func (m Module) Register(r *module.Registrar) error {
	lim := m.Limits.WithDefaults()
	r.Share(limitsKey{}, lim)
	name := xml.Name{Space: NS, Local: "vCard"}
	r.IQ(module.IQ{To: module.ToAccount, Type: module.Get, Payload: name, Disco: module.OnServer | module.OnAccount,
		Handle: func(q *module.Request) {
			res := q.Result()
			if card := cards.Get(q.Account).parsed(); card != nil {
				res.Append(card)
			} else {
				res.AddChild(NS, "vCard")
			}
			q.Reply(res)
		}})
	r.IQ(module.IQ{To: module.ToAccount, Type: module.Set, Payload: name,
		Handle: func(q *module.Request) {
			if !q.Self {
				q.Error(stanza.Auth, stanza.Forbidden, "")
				return
			}
			n, ok := admit(q, lim)
			if !ok {
				return
			}
			s := cards.Use(q.Account)
			s.card, s.bytes = string(q.Payload.AppendTo(nil, NS)), n
			q.Reply(q.Result())
		}})
	r.OnPresenceSent(module.Rewrite, func(_ module.Context, ev *module.Sent) bool {
		if st := ev.Stanza; st.Attrib("type") == "" && st.Child(NSUpdate, "x") == nil {
			st.AddChild(NSUpdate, "x").AddChild(NSUpdate, "photo")
		}
		return false
	})
	return nil
}

// admit checks a set's vCard against lim, answering q with the error when
// it is refused; it returns the vCard's wire size.
func admit(q *module.Request, lim quota.Limits) (n int, ok bool) {
	n = len(q.Payload.AppendTo(nil, NS))
	old := 0
	if s := cards.Get(q.Account); s != nil {
		old = s.bytes
	}
	if !quota.Within(lim.VCardBytes, 0, n) {
		q.Error(quota.TooLargeType, quota.TooLarge, "vCard too large")
		return n, false
	}
	if !quota.Budget(q.Account, lim.AccountBytes, n-old) {
		q.Error(quota.FullType, quota.Full, "Account storage is full")
		return n, false
	}
	return n, true
}
