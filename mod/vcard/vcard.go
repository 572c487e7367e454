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
	"github.com/muctest/muctest/xmlnode"
)

// Namespaces of XEP-0054 and XEP-0153.
const (
	NS       = "vcard-temp"
	NSUpdate = "vcard-temp:x:update"
)

// stored is an account's vCard.
type stored struct{ card *xmlnode.Element }

// Size implements module.Sizer: the vCard's encoded length.
func (s *stored) Size() int {
	if s.card == nil {
		return 0
	}
	return len(s.card.AppendTo(nil, NS))
}

var cards = module.NewAccountState[stored]("vcard")

// Module serves vCards and adds the photo marker.
type Module struct{}

// Name implements module.Module.
func (Module) Name() string { return "vcard" }

// Register implements module.Module.
func (Module) Register(r *module.Registrar) error {
	name := xml.Name{Space: NS, Local: "vCard"}
	r.IQ(module.IQ{To: module.ToAccount, Type: module.Get, Payload: name, Disco: module.OnServer | module.OnAccount,
		Handle: func(q *module.Request) {
			res := q.Result()
			if s := cards.Get(q.Account); s != nil && s.card != nil {
				res.Append(s.card.Copy())
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
			cards.Use(q.Account).card = q.Payload.Copy()
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
