// Package csi is XEP-0352 client state indication: a client that says
// <inactive/> (a phone in a pocket) is sent only what matters at once,
// and the rest later, as Prosody's mod_csi_simple does.
//
// While a session is inactive, presence broadcasts and messages without
// anything a user reads (chat states, receipts, markers) are held back in a
// bounded queue, where a newer presence from a sender replaces the older
// one. Whatever is important (a message with a body or subject, an error,
// an invitation, iqs, subscription requests, carbons of such messages) is
// delivered at once, after the queue is flushed, so that the client sees
// everything in the order it was sent. The queue is flushed as well when
// it is full, when the client says <active/>, and when it sends a stanza
// (it is awake). Held stanzas are stamped with a XEP-0203 delay from the
// account, as Prosody does, so that the client knows when they came.
//
// The queue is a module.Layer on the session's Conn, above XEP-0198's
// unacknowledged queue (mod/sm), which therefore counts only what really
// went out.
package csi

import (
	"encoding/xml"
	"time"

	"mellium.im/xmpp/stanza"
	"mellium.im/xmpp/stream"

	"github.com/muctest/muctest/c2sapi"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/xmlnode"
)

// NS is XEP-0352's namespace; NSDelay XEP-0203's, stamped on what is held.
const (
	NS      = "urn:xmpp:csi:0"
	NSDelay = "urn:xmpp:delay"
)

// Defaults for zero Module fields.
const (
	// DefaultMaxQueue is Prosody's csi_queue_size.
	DefaultMaxQueue = 256
	// DefaultMaxQueueBytes bounds what one inactive session holds back.
	DefaultMaxQueueBytes = 256 << 10
)

// Module is XEP-0352.
type Module struct {
	// MaxQueue and MaxQueueBytes bound the stanzas held back for one
	// inactive session; over either, the queue is flushed.
	MaxQueue      int
	MaxQueueBytes int
	// Now stamps held stanzas (time.Now by default).
	Now func() time.Time
}

// Name implements module.Module.
func (Module) Name() string { return "csi" }

// Register implements module.Module.
func (m Module) Register(r *module.Registrar) error {
	// A client that sends anything is awake: what was held goes first,
	// before the stanza is acted on (Prosody flushes on any input).
	awake := func(_ module.Context, ev *module.Sent) bool {
		if l, ok := ev.Session.(module.Stream).Conn().(*layer); ok && l.inactive {
			l.flush()
		}
		return false
	}
	r.OnMessageSent(awakePriority, awake)
	r.OnPresenceSent(awakePriority, awake)
	r.OnIQSent(awakePriority, awake)
	r.StreamFeature(module.StreamFeature{Offer: func(c2sapi.Session) *xmlnode.Element {
		return xmlnode.New(NS, "csi")
	}})
	for _, local := range []string{"active", "inactive"} {
		inactive := local == "inactive"
		r.StreamElement(module.StreamElement{Name: xml.Name{Space: NS, Local: local}, Stage: c2sapi.Bound,
			Handle: func(cs c2sapi.Session, _ *xmlnode.Element) error {
				ss := module.StreamOf(cs.Handler())
				if ss == nil {
					return c2sapi.StreamError(stream.UnsupportedStanzaType, "")
				}
				ss.Do(func(module.Context) { m.Set(ss, inactive) })
				return nil
			}})
	}
	return nil
}

// awakePriority runs the flush on client activity before any other hook
// acts on the client's stanza.
const awakePriority = module.Filter + 10

// Set makes s inactive or active, flushing what was held back when it
// becomes active. It is called with the router's lock held (in a hook, a
// handler or module.Stream.Do); tests call it to drive a session.
func (m Module) Set(s module.Stream, inactive bool) {
	l, ok := s.Conn().(*layer)
	if !ok {
		if !inactive {
			return // active is where every session starts
		}
		l = &layer{inner: s.Conn(), max: m.MaxQueue, maxBytes: m.MaxQueueBytes, now: m.Now,
			bare: s.JID().Bare().String()}
		if l.now == nil {
			l.now = time.Now
		}
		held.Use(s).l = l
		if l.max <= 0 {
			l.max = DefaultMaxQueue
		}
		if l.maxBytes <= 0 {
			l.maxBytes = DefaultMaxQueueBytes
		}
		s.SetConn(l)
	}
	if !inactive {
		l.flush()
	}
	l.inactive = inactive
}

// held is the per-session record of the layer, for the session's
// footprint (module.Sizer).
var held = module.NewSessionState[holder]("csi.held")

type holder struct{ l *layer }

// Size implements module.Sizer: the bytes held back.
func (h *holder) Size() int {
	if h.l == nil {
		return 0
	}
	return h.l.bytes
}

// layer is the session's Conn while the module has a say: a pass-through
// while active, a deferral queue while inactive. Guarded by the router's
// lock.
type layer struct {
	inner    module.Conn
	inactive bool
	q        []*xmlnode.Element // held back, oldest first, "to" set
	bytes    int
	max      int
	maxBytes int
	now      func() time.Time
	bare     string // the session's bare JID, for the delay stamp
}

var _ module.Layer = (*layer)(nil)

func (l *layer) Inner() module.Conn     { return l.inner }
func (l *layer) SetInner(c module.Conn) { l.inner = c }

func (l *layer) CloseWithError(cond stream.Error, text string) { l.inner.CloseWithError(cond, text) }

func (l *layer) Send(st *xmlnode.Element) {
	if !l.inactive || Important(st) {
		l.flush()
		l.inner.Send(st)
		return
	}
	l.hold(st.Copy())
}

func (l *layer) SendTo(st *xmlnode.Element, to string) {
	if !l.inactive || Important(st) {
		l.flush()
		l.inner.SendTo(st, to)
		return
	}
	l.hold(st.Copy().SetAttr("to", to))
}

// hold queues st (a copy the layer owns); a presence replaces the one
// queued from the same sender.
func (l *layer) hold(st *xmlnode.Element) {
	// Stamped as Prosody does, so that the client knows when it came.
	if !hasChild(st, NSDelay, "delay") {
		st.AddChild(NSDelay, "delay", "from", l.bare, "stamp", l.now().UTC().Format("2006-01-02T15:04:05Z"))
	}
	if st.Name.Local == "presence" {
		from := st.Attrib("from")
		for i, old := range l.q {
			if old.Name.Local == "presence" && old.Attrib("from") == from {
				l.bytes -= size(old)
				l.q = append(l.q[:i], l.q[i+1:]...)
				break
			}
		}
	}
	l.q = append(l.q, st)
	l.bytes += size(st)
	if len(l.q) > l.max || l.bytes > l.maxBytes {
		l.flush()
	}
}

// size is a held stanza's serialised size, what it costs to keep.
func size(st *xmlnode.Element) int { return len(st.AppendTo(nil, stanza.NSClient)) }

func (l *layer) flush() {
	q := l.q
	l.q, l.bytes = nil, 0
	for _, st := range q {
		l.inner.Send(st)
	}
}

const (
	nsCarbons = "urn:xmpp:carbons:2"
	nsMUCUser = "http://jabber.org/protocol/muc#user"
)

// anyChild reports whether a child element of st has a name f accepts,
// those of a payload a store kept serialised (xmlnode.Raw: a MUC history
// message's) included, read by name without parsing it.
func anyChild(st *xmlnode.Element, f func(xml.Name) bool) bool {
	for _, c := range st.Children {
		switch c := c.(type) {
		case *xmlnode.Element:
			if f(c.Name) {
				return true
			}
		case *xmlnode.Raw:
			for _, n := range c.Names() {
				if f(n) {
					return true
				}
			}
		}
	}
	return false
}

// hasChild is st.Child(space, local) != nil, serialised children
// included (anyChild).
func hasChild(st *xmlnode.Element, space, local string) bool {
	return anyChild(st, func(n xml.Name) bool { return n.Local == local && n.Space == space })
}

// Important reports whether st is delivered to an inactive client at once
// (Prosody's mod_csi_simple rules): iqs, presence other than plain
// availability (subscriptions, errors), and messages a user would want to
// see now: with a body or subject, errors, encrypted, invitations, calls
// (XEP-0353), "received" carbons of those and every "sent" carbon. Chat
// states, receipts, markers and headlines wait. A stanza whose payload a
// store kept serialised (a MUC history message) is judged by the names
// of its children, without parsing it.
func Important(st *xmlnode.Element) bool {
	typ := st.Attrib("type")
	switch st.Name.Local {
	case "presence":
		return typ != "" && typ != "unavailable" && typ != "error"
	case "message":
		switch typ {
		case "headline":
			return false
		case "error":
			return true
		}
		if hasChild(st, nsCarbons, "sent") {
			return true // what the user sent elsewhere
		}
		m := st
		if c := st.Child(nsCarbons, "received"); c != nil {
			if fwd := c.Child("urn:xmpp:forward:0", "forwarded"); fwd != nil {
				if inner := fwd.Child(stanza.NSClient, "message"); inner != nil {
					m = inner
				}
			}
		}
		if hasChild(m, stanza.NSClient, "body") || hasChild(m, stanza.NSClient, "subject") ||
			hasChild(m, "urn:xmpp:eme:0", "encryption") || hasChild(m, "jabber:x:conference", "x") {
			return true
		}
		if hasChild(m, nsMUCUser, "x") {
			if x := m.Expanded().Child(nsMUCUser, "x"); x != nil && x.Child(nsMUCUser, "invite") != nil {
				return true
			}
		}
		// A call (XEP-0353).
		return anyChild(m, func(n xml.Name) bool {
			return n.Space == "urn:xmpp:jingle-message:0" || n.Space == "urn:xmpp:jingle-message:1"
		})
	}
	return true
}
