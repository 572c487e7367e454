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
// NS, as the quotas count it), that form's length, and whether the vCard
// has a PHOTO of its own (XEP-0153's conversion asks, with the lock held,
// where parsing would cost too much). The wire form is what the vCard
// costs; as a tree it would cost up to 24 times as much (many tiny
// elements), for as long as the account exists. A get parses it after
// the router's lock is released (Context.RouteLater).
type stored struct {
	card  string
	bytes int
	photo bool
}

// set stores card, whose wire form is wire.
func (s *stored) set(card *xmlnode.Element, wire string) {
	s.card, s.bytes, s.photo = wire, len(wire), card.Child(NS, "PHOTO") != nil
}

// wire returns s's wire form, "" when no vCard is set.
func (s *stored) wire() string {
	if s == nil {
		return ""
	}
	return s.card
}

// parsed returns s's vCard as a tree of the caller's own, or nil when
// none is set.
func (s *stored) parsed() *xmlnode.Element { return Parse(s.wire()) }

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
			// Parsed after unlocking: a vCard at its quota holds the
			// lock ~5 ms otherwise (issue 11).
			wire, res := cards.Get(q.Account).wire(), q.Result()
			q.ReplyLater(func() *xmlnode.Element {
				if card := Parse(wire); card != nil {
					res.Append(card)
				} else {
					res.AddChild(NS, "vCard")
				}
				return res
			})
		}})
	r.IQ(module.IQ{To: module.ToAccount, Type: module.Set, Payload: name,
		Handle: func(q *module.Request) {
			if !q.Self {
				q.Error(stanza.Auth, stanza.Forbidden, "")
				return
			}
			if _, ok := admit(q, lim); !ok {
				return
			}
			cards.Use(q.Account).set(q.Payload, string(q.Payload.AppendTo(nil, NS)))
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
