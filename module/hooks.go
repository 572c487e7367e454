package module

import (
	"mellium.im/xmpp/jid"

	"github.com/muctest/muctest/xmlnode"
)

// HookKind names a point of delivery where hooks run.
type HookKind uint8

// The hook points, in the order a stanza meets them.
const (
	MessageSent HookKind = iota
	MessageDelivered
	PresenceSent
	PresenceDelivered
	IQSent
	IQDelivered
	InitialPresence
	SessionBound
	SessionUnbinding
	SessionUnbound
	AccountRemoved
	// NumHookKinds is how many hook points there are (for tables).
	NumHookKinds
)

var hookNames = [NumHookKinds]string{"message sent", "message delivered", "presence sent", "presence delivered",
	"iq sent", "iq delivered", "initial presence", "session bound", "session unbinding", "session unbound", "account removed"}

func (k HookKind) String() string {
	if k < NumHookKinds {
		return hookNames[k]
	}
	return "unknown hook"
}

// Sent is a stanza a local session sent, with its parsed "to" (zero for a
// presence broadcast). A hook that runs before routing may change Stanza.
type Sent struct {
	Session Session
	Stanza  *xmlnode.Element
	To      jid.JID
}

// Delivered is a stanza arriving for a local account (Account, never nil)
// from anyone. Hooks before delivery see Sessions empty; hooks after see
// the sessions that got it. Kept is set by a hook after delivery that took
// charge of a message no session got (XEP-0160 offline storage); when none
// does, the router bounces it as RFC 6121 section 8.5.2.1.1 allows.
type Delivered struct {
	Stanza   *xmlnode.Element
	To       jid.JID
	Account  Account
	Sessions []Session
	Kept     bool
}

// SentHook is a hook on a stanza a session sent. Returning true before
// routing (priority > 0) stops the stanza.
type SentHook func(c Context, ev *Sent) (stop bool)

// DeliveredHook is a hook on a stanza for a local account. Returning true
// before delivery (priority > 0) stops the stanza.
type DeliveredHook func(c Context, ev *Delivered) (stop bool)

// SessionHook is a hook on a session's life.
type SessionHook func(c Context, s Session)

// UnbindingHook runs before a session whose connection ended unbinds; it
// may return true to keep it bound (XEP-0198 hibernation), and then owns
// it: it ends it later with Context.Unbind. It is not asked when a session
// is replaced (RFC 6120 section 7.7.2.2) or the server shuts down.
type UnbindingHook func(c Context, s Session, reason string) (veto bool)

// HookEntry is one registered hook; exactly one of its functions is set,
// the one of its Kind.
type HookEntry struct {
	Kind      HookKind
	Priority  int
	Module    string
	Sent      SentHook
	Delivered DeliveredHook
	Session   SessionHook
	Unbinding UnbindingHook
	Account   AccountHook
}

func (r *Registrar) hook(h HookEntry) {
	h.Module = r.module
	r.hooks = append(r.hooks, h)
}

// OnMessageSent hooks messages a local session sends (RFC 6121 section 8.5
// user's server side), e.g. XEP-0280 "sent" carbons after routing.
func (r *Registrar) OnMessageSent(priority int, f SentHook) {
	r.hook(HookEntry{Kind: MessageSent, Priority: priority, Sent: f})
}

// OnMessageDelivered hooks messages for a local account, e.g. XEP-0191
// blocking before delivery, XEP-0280 "received" carbons and XEP-0160
// offline storage after.
func (r *Registrar) OnMessageDelivered(priority int, f DeliveredHook) {
	r.hook(HookEntry{Kind: MessageDelivered, Priority: priority, Delivered: f})
}

// OnPresenceSent hooks presence a local session sends: broadcasts (To is
// zero, including the unavailable the router makes when a session ends)
// and directed presence. Subscription requests go to Contacts instead.
func (r *Registrar) OnPresenceSent(priority int, f SentHook) {
	r.hook(HookEntry{Kind: PresenceSent, Priority: priority, Sent: f})
}

// OnPresenceDelivered hooks presence for a local account. The copies of
// one broadcast presence share their children (the router sets each
// contact's "to" on a shallow copy): a hook may change ev.Stanza's
// attributes and child list, never a child itself.
func (r *Registrar) OnPresenceDelivered(priority int, f DeliveredHook) {
	r.hook(HookEntry{Kind: PresenceDelivered, Priority: priority, Delivered: f})
}

// OnIQSent hooks iqs a local session sends to another JID.
func (r *Registrar) OnIQSent(priority int, f SentHook) {
	r.hook(HookEntry{Kind: IQSent, Priority: priority, Sent: f})
}

// OnIQDelivered hooks iqs for a local account (its bare JID or a session).
func (r *Registrar) OnIQDelivered(priority int, f DeliveredHook) {
	r.hook(HookEntry{Kind: IQDelivered, Priority: priority, Delivered: f})
}

// OnInitialPresence hooks a session's first available presence (RFC 6121
// section 4.2), once it was broadcast. Hooks with priority > 0 run before
// the session is sent its other resources' presence, the others after
// (pending subscription requests, then offline messages, as Prosody).
func (r *Registrar) OnInitialPresence(priority int, f SessionHook) {
	r.hook(HookEntry{Kind: InitialPresence, Priority: priority, Session: f})
}

// OnSessionBound hooks a session that was just bound (RFC 6120 section 7).
func (r *Registrar) OnSessionBound(priority int, f SessionHook) {
	r.hook(HookEntry{Kind: SessionBound, Priority: priority, Session: f})
}

// OnSessionUnbinding hooks a session whose connection ended, before the
// router takes it offline; see UnbindingHook.
func (r *Registrar) OnSessionUnbinding(priority int, f UnbindingHook) {
	r.hook(HookEntry{Kind: SessionUnbinding, Priority: priority, Unbinding: f})
}

// OnSessionUnbound hooks a session that went offline and was removed from
// its account.
func (r *Registrar) OnSessionUnbound(priority int, f SessionHook) {
	r.hook(HookEntry{Kind: SessionUnbound, Priority: priority, Session: f})
}
