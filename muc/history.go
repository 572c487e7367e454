package muc

import (
	"strconv"
	"time"

	"github.com/muctest/muctest/xmlnode"
)

// defaultHistoryLength is how many messages a room keeps and sends to a
// joining user unless configured otherwise (Prosody's default).
const defaultHistoryLength = 20

// historyEntry is a stored groupchat message: a copy without "to" and with
// an XEP-0203 delay element from the room, kept as its attributes and the
// serialisation of its children (xmlnode.Element.Sealed), the form it is
// sent in. A tree of tiny elements would cost 24 times the bytes the
// history bounds count; the serialised children cost their bytes, and
// each joining user's copy is written from them verbatim with its "to".
type historyEntry struct {
	msg   *xmlnode.Element
	at    time.Time
	chars int // serialised size, for maxchars and the byte bounds
	// sid is the room's stanza-id of the message ("" when archiving was
	// off), by which a moderator names it (moderate.go).
	sid string
}

// storedSize returns len(c.String()) for c, a Sealed message, without
// writing its payload again: its start tag, its children's bytes and its
// end tag.
func storedSize(c *xmlnode.Element) int {
	r, ok := (*xmlnode.Raw)(nil), false
	if len(c.Children) == 1 {
		r, ok = c.Children[0].(*xmlnode.Raw)
	}
	if !ok {
		return len(c.String())
	}
	var buf [512]byte
	start := xmlnode.Element{Name: c.Name, Attr: c.Attr}
	return len(start.AppendTo(buf[:0], "")) - len("/>") + len(">") + r.SizeIn(c.Name.Space) + len("</>") + len(c.Name.Local)
}

// stamp formats t as an XEP-0082 timestamp.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// isHistoric says whether a broadcast message belongs in the history:
// messages with a body, or hinted to be stored, or encrypted, or markers.
func isHistoric(m *xmlnode.Element) bool {
	switch {
	case m.Child(nsHints, "no-store") != nil, m.Child(nsHints, "no-permanent-store") != nil:
		return false
	case m.Child(nsHints, "store") != nil, m.Child(nsClient, "body") != nil,
		m.Child(nsEME, "encryption") != nil:
		return true
	}
	for _, c := range m.Elements() {
		if c.Name.Space == nsChatMarkers {
			return true
		}
	}
	return false
}

// addHistory stores a copy of m with a delay stamp, keeping at most the
// configured number of messages and Limits.MaxHistoryBytes of them.
func (r *room) addHistory(m *xmlnode.Element) {
	if r.conf.historyLength == 0 {
		r.setHistory(nil)
		return
	}
	now := r.svc.cfg.Now()
	sid := r.stanzaIDOf(m) // moderatestore.go
	c := m.ShallowCopy()
	c.RemoveAttr("to")
	child(c, nsDelay, "delay", "", "from", r.jid, "stamp", stamp(now))
	c = c.Sealed()
	e := historyEntry{msg: c, at: now, chars: storedSize(c), sid: sid}
	if !r.svc.historyFits(e.chars) {
		return // every room's history together is full (historytotal.go)
	}
	r.setHistory(append(r.history, e))
	over := len(r.history) - r.conf.historyLength
	size, limit := 0, r.svc.maxHistoryBytes()
	for i := len(r.history) - 1; i >= 0; i-- {
		if size += r.history[i].chars; size > limit {
			over = max(over, i+1)
			break
		}
	}
	if over > 0 {
		r.setHistory(append(r.history[:0:0], r.history[over:]...))
	}
}

// sendHistory sends a joining session the discussion history it asked for
// with <history/> (maxchars, maxstanzas, seconds, since), or the room's
// default amount.
func (r *room) sendHistory(join *xmlnode.Element, to string) {
	maxChars, maxStanzas := -1, -1
	var since time.Time
	hasLimit := false
	if h := join.Child(nsMUC, "x"); h != nil {
		if h = h.Child(nsMUC, "history"); h != nil {
			if v, err := strconv.Atoi(h.Attrib("maxchars")); err == nil {
				maxChars, hasLimit = v, true
			}
			if v, err := strconv.Atoi(h.Attrib("maxstanzas")); err == nil {
				maxStanzas, hasLimit = v, true
			}
			if t, err := time.Parse(time.RFC3339, h.Attrib("since")); err == nil {
				since, hasLimit = t, true
			}
			if v, err := strconv.Atoi(h.Attrib("seconds")); err == nil {
				t := r.svc.cfg.Now().Add(-time.Duration(v) * time.Second)
				if t.After(since) {
					since = t
				}
				hasLimit = true
			}
		}
	}
	if !hasLimit {
		maxStanzas = r.conf.defaultHistory
	}
	if maxStanzas < 0 {
		maxStanzas = len(r.history)
	}
	n, chars := 0, 0
	for i := len(r.history) - 1; i >= 0; i-- {
		e := &r.history[i]
		if maxChars >= 0 {
			chars += e.chars + len(to)
			if chars > maxChars {
				break
			}
		}
		if !since.IsZero() && since.After(e.at) {
			break
		}
		if n+1 > maxStanzas {
			break
		}
		n++
	}
	for _, e := range r.history[len(r.history)-n:] {
		r.svc.routeTo(e.msg, to)
	}
}
