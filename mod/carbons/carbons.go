// Package carbons is XEP-0280 Message Carbons as Prosody applies it: a
// session that enables carbons gets a copy of every chat message its
// account sends from another resource ("sent") or receives on another
// resource ("received"), wrapped in a XEP-0297 forward.
package carbons

import (
	"encoding/xml"
	"slices"

	"mellium.im/xmpp/stanza"

	"github.com/muctest/muctest/c2sapi"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/xmlnode"
)

// Namespaces of XEP-0280 and of what its rules look at.
const (
	NS        = "urn:xmpp:carbons:2"
	nsForward = "urn:xmpp:forward:0"
	nsHints   = "urn:xmpp:hints"
	nsMUCUser = "http://jabber.org/protocol/muc#user"
	nsClient  = "jabber:client"
)

// enabled is a session's carbons switch.
type enabled struct{ on bool }

var sessions = module.NewSessionState[enabled]("carbons")

func on(s module.Session) bool {
	e := sessions.Get(s)
	return e != nil && e.on
}

// Module implements carbons.
type Module struct{}

// Name implements module.Module.
func (Module) Name() string { return "carbons" }

// Register implements module.Module.
func (Module) Register(r *module.Registrar) error {
	for _, verb := range []string{"enable", "disable"} {
		r.IQ(module.IQ{To: module.ToSelf, Type: module.Set, Payload: xml.Name{Space: NS, Local: verb}, Disco: module.OnServer,
			Handle: func(q *module.Request) {
				if q.Session == nil {
					// Only the account's own sessions enable carbons;
					// anything else is a request nobody handles.
					q.Error(stanza.Cancel, stanza.ServiceUnavailable, "")
					return
				}
				sessions.Use(q.Session).on = verb == "enable"
				q.Reply(q.Result())
			}})
	}
	// XEP-0386: <enable xmlns='urn:xmpp:carbons:2'/> inside Bind2's
	// <bind/> enables carbons as the session is bound; nothing is
	// answered inside <bound/>.
	r.Bind2Feature(module.Bind2Feature{Var: NS, Name: xml.Name{Space: NS, Local: "enable"},
		Handle: func(_ c2sapi.Session, h c2sapi.Handler, _ *xmlnode.Element) *xmlnode.Element {
			if ss := module.StreamOf(h); ss != nil {
				sessions.Use(ss).on = true
			}
			return nil
		}})
	r.OnMessageSent(module.After, sent)
	r.OnMessageDelivered(module.After, received)
	return nil
}

// Copied reports whether st is a message carbons apply to, by the rules of
// XEP-0280 section 6 as Prosody applies them: chat messages, and normal
// ones with a body; never groupchat, MUC private messages, messages marked
// private or no-copy, or carbons themselves.
func Copied(st *xmlnode.Element) bool {
	switch st.Attrib("type") {
	case "chat":
	case "", "normal":
		if st.Child(nsClient, "body") == nil {
			return false
		}
	default:
		return false
	}
	return st.Child(NS, "private") == nil && st.Child(nsHints, "no-copy") == nil &&
		st.Child(nsMUCUser, "x") == nil && st.Child(NS, "received") == nil &&
		st.Child(NS, "sent") == nil
}

// sent copies a message a session sent to its account's other
// carbon-enabled sessions (except the one it was addressed to).
func sent(_ module.Context, ev *module.Sent) bool {
	if ev.To.Domainpart() != ev.Session.JID().Domainpart() || !Copied(ev.Stanza) {
		return false // to a component: not copied
	}
	from := ev.Session.Account().JID().String()
	for o := range ev.Session.Account().Sessions() {
		if o != ev.Session && on(o) && !o.JID().Equal(ev.To) {
			o.Send(carbon("sent", from, o, ev.Stanza))
		}
	}
	return false
}

// received copies a message delivered to some of an account's sessions to
// its other carbon-enabled ones.
func received(_ module.Context, ev *module.Delivered) bool {
	if len(ev.Sessions) == 0 || !Copied(ev.Stanza) {
		return false
	}
	from := ev.Account.JID().String()
	for o := range ev.Account.Sessions() {
		if on(o) && !slices.Contains(ev.Sessions, o) {
			o.Send(carbon("received", from, o, ev.Stanza))
		}
	}
	return false
}

func carbon(kind, from string, to module.Session, st *xmlnode.Element) *xmlnode.Element {
	m := xmlnode.New(nsClient, "message", "from", from, "to", to.JID().String())
	if t := st.Attrib("type"); t != "" {
		m.SetAttr("type", t)
	}
	m.AddChild(NS, kind).AddChild(nsForward, "forwarded").Append(st.Copy())
	return m
}
