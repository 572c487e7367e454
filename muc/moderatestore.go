package muc

import (
	"hash/maphash"
	"slices"
	"strconv"

	"github.com/muctest/muctest/archive"
	"github.com/muctest/muctest/xmlnode"
)

// This file finds the messages a room still holds (its history and its
// archive) by the id a moderator names, and replaces one of them by its
// tombstone (XEP-0425 section 5, XEP-0424), keeping the history and
// archive byte totals (historytotal.go, quota.go) in step.

// archKey names one archived message: its stanza-id (the archive id) and
// a hash of its id attribute, so that a moderation by id attribute finds
// its candidates without parsing the whole archive under the service lock.
// A hash costs 8 bytes where the attribute, chosen by the sender, could
// cost a kilobyte; a collision is harmless because every candidate is
// parsed and compared before it is used.
type archKey struct {
	sid    string
	idHash uint64
}

// idSeed keys the id attribute hashes of every room.
var idSeed = maphash.MakeSeed()

func hashID(id string) uint64 { return maphash.String(idSeed, id) }

// keyArchived records the key of a message just appended to the archive.
func (r *room) keyArchived(sid, idAttr string) {
	r.archKeys = append(r.archKeys, archKey{sid: sid, idHash: hashID(idAttr)})
	r.syncArchKeys()
}

// syncArchKeys drops the keys of messages the archive dropped: an archive
// only ever drops its oldest messages (count, byte and age bounds), so the
// keys it still holds are the last Len ones.
func (r *room) syncArchKeys() {
	n := 0
	if r.arch != nil {
		n = r.arch.Len()
	}
	if extra := len(r.archKeys) - n; extra > 0 {
		r.archKeys = slices.Delete(r.archKeys, 0, extra)
	}
}

// stanzaIDOf returns the stanza-id the room gave m, "" when it has none.
func (r *room) stanzaIDOf(m *xmlnode.Element) string {
	for _, s := range m.ChildrenNamed(nsStanzaID, "stanza-id") {
		if s.Attrib("by") == r.jid {
			return s.Attrib("id")
		}
	}
	return ""
}

// heldMessage is a message the room holds, found for a moderation: in the
// history (hist >= 0), the archive (sid archived), or both.
type heldMessage struct {
	sid      string // the room's stanza-id, "" when archiving was off
	hist     int    // index in r.history, -1 when not there
	archived bool
	// msg is the message as the room holds it (parsed from the archive,
	// else from the history), for its author and id.
	msg *xmlnode.Element
}

// key identifies the message among the candidates of a lookup: its
// stanza-id, or for a message without one its history position.
func (h heldMessage) key() string {
	if h.sid != "" {
		return h.sid
	}
	return "\x00history" + strconv.Itoa(h.hist)
}

// archivedMessages returns the archived messages whose stanza-ids are in
// ids, parsed, oldest first.
func (r *room) archivedMessages(ids []string) []heldMessage {
	if r.arch == nil || len(ids) == 0 {
		return nil
	}
	page, err := r.arch.Query(archive.Query{IDs: ids, Max: len(ids)}, nil)
	if err != nil {
		return nil
	}
	var out []heldMessage
	for i := range page.Entries {
		m, err := page.Entries[i].Message()
		if err != nil {
			continue // what AppendTo wrote parses back; not reached
		}
		out = append(out, heldMessage{sid: page.Entries[i].ID, hist: -1, archived: true, msg: m})
	}
	return out
}

// findByStanzaID returns the message the room gave stanza-id id.
func (r *room) findByStanzaID(id string) (heldMessage, bool) {
	h := heldMessage{hist: -1}
	if a := r.archivedMessages([]string{id}); len(a) == 1 {
		h = a[0]
	}
	for i := range r.history {
		if r.history[i].sid == id {
			h.sid, h.hist = id, i
			if h.msg == nil {
				h.msg = r.history[i].msg.Expanded()
			}
			break
		}
	}
	return h, h.msg != nil
}

// findByIDAttr returns the messages the room holds whose id attribute is
// id, as occupants received them, stopping at two: one is a match, two
// make the id ambiguous. A message both in the history and the archive
// counts once.
func (r *room) findByIDAttr(id string) []heldMessage {
	var found []heldMessage
	add := func(h heldMessage) {
		for i := range found {
			if found[i].key() == h.key() {
				if h.hist >= 0 {
					found[i].hist = h.hist
				}
				return
			}
		}
		found = append(found, h)
	}
	r.syncArchKeys()
	want := hashID(id)
	var sids []string
	for _, k := range r.archKeys {
		if k.idHash == want {
			sids = append(sids, k.sid)
		}
	}
	// Candidates are checked one by one (a collision or a message with an
	// id attribute the hash mistook), and parsing stops at two matches.
	for _, sid := range sids {
		for _, h := range r.archivedMessages([]string{sid}) {
			if h.msg.Attrib("id") == id {
				add(h)
			}
		}
		if len(found) > 1 {
			return found
		}
	}
	for i := range r.history {
		e := &r.history[i]
		if e.msg.Attrib("id") != id {
			continue
		}
		h := heldMessage{sid: e.sid, hist: i}
		for j := range found {
			if e.sid != "" && found[j].sid == e.sid {
				h.msg = found[j].msg
			}
		}
		if h.msg == nil {
			h.msg = e.msg.Expanded()
		}
		add(h)
		if len(found) > 1 {
			return found
		}
	}
	return found
}

// retractHistory replaces history entry i by tomb, keeping the original's
// delay and stanza-id, so that joiners get the tombstone where the message
// was. When the tombstone would take the room or the service past its
// history bound (it may be larger than a short message), the entry goes
// instead: nothing of the message is kept either way.
func (r *room) retractHistory(i int, tomb *xmlnode.Element) {
	old := r.history[i]
	c := tomb.Copy()
	full := old.msg.Expanded()
	for _, el := range full.Elements() {
		if (el.Name.Space == nsDelay && el.Name.Local == "delay") ||
			(el.Name.Space == nsStanzaID && el.Name.Local == "stanza-id" && el.Attrib("by") == r.jid) {
			c.Append(el.Copy())
		}
	}
	c = c.Sealed()
	e := historyEntry{msg: c, at: old.at, chars: storedSize(c), sid: old.sid}
	h := slices.Clone(r.history)
	grow := e.chars - old.chars
	if grow > 0 && (!r.svc.historyFits(grow) || r.histBytes+grow > r.svc.maxHistoryBytes()) {
		h = slices.Delete(h, i, i+1)
	} else {
		h[i] = e
	}
	r.setHistory(h)
}

// retractArchived replaces the archived message with stanza-id sid (orig,
// as the archive holds it) by tomb, in place (archive.Replace: no parse of
// the rest of the archive, so that a moderator retracting fresh messages
// in a full archive costs little under the service lock). A tombstone that
// would take every room's archive past Limits.ArchiveTotalBytes removes
// the message instead.
func (r *room) retractArchived(sid string, orig, tomb *xmlnode.Element) {
	if r.arch == nil {
		return
	}
	s := r.svc
	before := r.arch.Bytes()
	grow := int64(len(tomb.AppendTo(nil, nsClient)) - len(orig.AppendTo(nil, nsClient)))
	if max := s.cfg.Limits.ArchiveTotalBytes; max > 0 && grow > 0 && s.archBytes+grow > max {
		r.arch.Remove(sid)
	} else {
		r.arch.Replace(sid, tomb)
	}
	s.archBytes += r.arch.Bytes() - before
	if len(r.archivedMessages([]string{sid})) == 0 {
		for i := range r.archKeys {
			if r.archKeys[i].sid == sid {
				r.archKeys = slices.Delete(r.archKeys, i, i+1)
				break
			}
		}
	}
	r.syncArchKeys()
}
