package roster

import (
	"mellium.im/xmpp/jid"

	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/xmlnode"
)

// removed tells the contacts of an account being removed (XEP-0077
// <remove/>) that the subscriptions are over, as Prosody does when a user
// is deleted: a contact who saw the user's presence gets its unavailable
// presence and an "unsubscribed", one whose presence the user saw (or had
// asked for) an "unsubscribe". Their servers (here: this one) update their
// rosters and push the change. The roster itself goes with the account's
// state.
func (m *mod) removed(c module.Context, a module.Account) {
	ro := rosters.Get(a)
	if ro == nil {
		return
	}
	us := a.JID().String()
	for _, it := range ro.itemList() {
		contact, err := jid.Parse(it.jid)
		if err != nil {
			continue
		}
		if it.subFrom {
			c.SendPresenceOf(a, contact, xmlnode.New(nsClient, "presence", "type", "unavailable"))
			c.Route(xmlnode.New(nsClient, "presence", "type", "unsubscribed", "from", us, "to", it.jid))
		}
		if it.subTo || it.ask {
			c.Route(xmlnode.New(nsClient, "presence", "type", "unsubscribe", "from", us, "to", it.jid))
		}
	}
	for _, bare := range ro.pendingOrder {
		// A request the user never answered is refused.
		c.Route(xmlnode.New(nsClient, "presence", "type", "unsubscribed", "from", us, "to", bare))
	}
	// Gone now, so that the sessions' unavailable presence, which comes
	// next, finds no subscriber left to tell twice.
	rosters.Drop(a)
}
