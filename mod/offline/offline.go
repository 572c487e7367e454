// Package offline is XEP-0160 offline message storage as Prosody's
// mod_offline does it: a chat or normal message for an account with no
// available resource of non-negative priority is kept, stamped with a
// XEP-0203 delay from the server, and delivered on the account's next
// initial presence of non-negative priority, after the pending
// subscription requests.
package offline

import (
	"time"

	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/quota"
	"github.com/muctest/muctest/xmlnode"
)

// NSDelay is XEP-0203's namespace.
const NSDelay = "urn:xmpp:delay"

// nsClient is the namespace stored messages are written in.
const nsClient = "jabber:client"

// DefaultMax bounds the messages kept per account (quota.Limits'
// OfflineMessages): later ones are bounced.
const DefaultMax = quota.DefaultOfflineMessages

// box is an account's stored messages, oldest first, each as it is
// written on a c2s stream (xmlnode.Element.AppendTo in jabber:client).
// The wire form is what the quotas count, and it is what the box costs:
// a tree would cost up to 24 times as much (many tiny elements), all of
// it kept for as long as the account stays offline. A message is parsed
// back once, when it is delivered.
type box struct {
	msgs  []string
	bytes int
}

// Size implements module.Sizer.
func (b *box) Size() int { return b.bytes }

var boxes = module.NewAccountState[box]("offline")

// Module stores and delivers offline messages. Max bounds the messages
// per account (Limits.OfflineMessages when 0); Limits also bound their
// wire bytes (OfflineBytes) and the account's total (AccountBytes): a
// message past a bound is bounced resource-constraint (wait) and what is
// stored stays. Now replaces time.Now (tests).
type Module struct {
	Max    int
	Limits quota.Limits
	Now    func() time.Time
}

// Name implements module.Module.
func (Module) Name() string { return "offline" }

// Register implements module.Module.
func (m Module) Register(r *module.Registrar) error {
	now, lim := m.Now, m.Limits.WithDefaults()
	if now == nil {
		now = time.Now
	}
	if m.Max > 0 {
		lim.OfflineMessages = m.Max
	}
	total := 0 // wire bytes in every account's box
	r.Feature(module.OnServer, "msgoffline")
	r.OnMessageDelivered(module.After-10, func(c module.Context, ev *module.Delivered) bool {
		if len(ev.Sessions) > 0 || ev.Kept {
			return false
		}
		switch ev.Stanza.Attrib("type") {
		case "", "normal", "chat":
		default:
			return false
		}
		ev.Kept = true
		st := ev.Stanza.Copy()
		if st.Child(NSDelay, "delay") == nil {
			st.AddChild(NSDelay, "delay", "from", c.Domain(), "stamp", now().UTC().Format("2006-01-02T15:04:05Z"))
		}
		wire := string(st.AppendTo(nil, nsClient))
		n := len(wire)
		b := boxes.Get(ev.Account)
		var have, bytes int
		if b != nil {
			have, bytes = len(b.msgs), b.bytes
		}
		if !quota.Within(lim.OfflineMessages, have, 1) || !quota.Within(lim.OfflineBytes, bytes, n) ||
			!quota.Within(lim.OfflineTotalBytes, total, n) ||
			!quota.Budget(ev.Account, lim.AccountBytes, n) {
			c.Bounce(ev.Stanza, quota.FullType, quota.Full, "Offline message storage is full")
			return false
		}
		b = boxes.Use(ev.Account)
		b.msgs = append(b.msgs, wire)
		b.bytes += n
		total += n
		return false
	})
	r.OnInitialPresence(module.After-10, func(c module.Context, s module.Session) {
		b := boxes.Get(s.Account())
		if b == nil || s.Priority() < 0 {
			return
		}
		for _, wire := range b.msgs {
			st, err := xmlnode.ParseIn(wire, nsClient)
			if err != nil {
				// What AppendTo wrote parses back (xmlnode's round
				// trip property): not reached, but a lost message
				// is logged, not a panic.
				c.Logger().Error("offline: stored message does not parse", "account", s.Account(), "err", err)
				continue
			}
			s.Send(st)
		}
		total -= b.bytes
		boxes.Drop(s.Account())
	})
	return nil
}
