package muc

import (
	"strings"

	"github.com/muctest/muctest/xmlnode"
)

// Message moderation (XEP-0425): a room moderator retracts an occupant's
// groupchat message for everyone, as Prosody's mod_muc_moderation does.
// Both versions of the protocol are served, since clients still send
// either: version 1 (0.3.0, urn:xmpp:message-moderate:1 with XEP-0424's
// urn:xmpp:message-retract:1) and version 0 (0.2, a XEP-0422 fastening:
// <apply-to xmlns='urn:xmpp:fasten:0'> around <moderate
// xmlns='urn:xmpp:message-moderate:0'>, which slixmpp sends).
//
// The message is replaced by a tombstone in the history joiners get and in
// the archive (moderatestore.go), and the room announces the retraction to
// every occupant in one groupchat message carrying both versions, so that
// clients of either kind apply it.

const (
	nsModerate0 = "urn:xmpp:message-moderate:0"
	nsModerate1 = "urn:xmpp:message-moderate:1"
	nsRetract0  = "urn:xmpp:message-retract:0"
	nsRetract1  = "urn:xmpp:message-retract:1"
	nsFasten    = "urn:xmpp:fasten:0"
	nsFallback  = "urn:xmpp:fallback:0"
)

// MaxModerationReasonBytes bounds the reason of a moderation: a longer one
// is cut at a character boundary, as ban reasons are (banreason.go), since
// the tombstone keeps it for as long as the archive keeps the message.
const MaxModerationReasonBytes = 1024

// MaxModerationIDBytes bounds the id a moderation names: the room's own
// stanza-ids are far shorter, and a longer id attribute is refused
// bad-request rather than searched for.
const MaxModerationIDBytes = 1024

// moderationFallback is the body of the announcement, for clients that
// know neither version (XEP-0428 marks it as a fallback for the others).
const moderationFallback = "A message in this room was retracted by a moderator."

// moderation is one parsed request.
type moderation struct {
	id     string // the stanza-id (or id attribute) of the message
	reason string // "" when none was given
}

// handleModerateV1 serves <moderate id='...' xmlns='urn:xmpp:message-moderate:1'>.
func (r *room) handleModerateV1(st *xmlnode.Element, from string, q *xmlnode.Element) {
	if q.Child(nsRetract1, "retract") == nil {
		r.svc.route(errorReply(st, "modify", "bad-request", "Only retraction is supported", ""))
		return
	}
	r.moderate(st, from, moderation{id: q.Attrib("id"), reason: q.ChildText(nsModerate1, "reason")})
}

// handleModerateV0 serves the version 0 fastening, <apply-to id='...'
// xmlns='urn:xmpp:fasten:0'><moderate xmlns='urn:xmpp:message-moderate:0'>.
// Any other fastening is not one the room applies: service-unavailable.
func (r *room) handleModerateV0(st *xmlnode.Element, from string, q *xmlnode.Element) {
	m := q.Child(nsModerate0, "moderate")
	if m == nil {
		r.svc.route(errorReply(st, "cancel", "service-unavailable", "", ""))
		return
	}
	if m.Child(nsRetract0, "retract") == nil {
		r.svc.route(errorReply(st, "modify", "bad-request", "Only retraction is supported", ""))
		return
	}
	r.moderate(st, from, moderation{id: q.Attrib("id"), reason: m.ChildText(nsModerate0, "reason")})
}

// moderate retracts the message req names, for the moderator from.
//
// The id is the room's stanza-id (XEP-0359) of the message, as the XEP
// says. When no message the room still holds has that stanza-id, it is
// taken as the message's id attribute as occupants received it (the
// sender's id, which the room keeps): slixmpp's own test moderates by it.
// That fallback applies only when exactly one message the room holds (in
// its history or its archive) has that id attribute; more than one is a
// conflict, since ids chosen by senders need not be unique. The
// announcement names the message by its stanza-id whenever it has one
// (by its id attribute in a room that archives nothing), so that clients,
// which look retractions up by stanza-id, find it.
//
// Who may: an occupant whose role is moderator; like Prosody, a user not
// in the room moderates with the role its affiliation would give it
// (owners and admins), named by its registered nickname if it has one.
// Others get forbidden. An unknown id is item-not-found; a message already
// retracted is answered with success and changes nothing.
func (r *room) moderate(st *xmlnode.Element, from string, req moderation) {
	if req.id == "" || len(req.id) > MaxModerationIDBytes {
		r.svc.route(errorReply(st, "modify", "bad-request", "Missing or oversized message id", ""))
		return
	}
	if len(req.reason) > MaxModerationReasonBytes {
		req.reason = strings.ToValidUTF8(req.reason[:MaxModerationReasonBytes], "")
	}
	actorBare, by, ok := r.moderator(from)
	if !ok {
		r.svc.route(errorReply(st, "auth", "forbidden", "You need a role of at least 'moderator'", ""))
		return
	}
	target, ok := r.findByStanzaID(req.id)
	if !ok {
		switch found := r.findByIDAttr(req.id); len(found) {
		case 0:
			r.svc.route(errorReply(st, "cancel", "item-not-found", "No such message in this room", ""))
			return
		case 1:
			target = found[0]
		default:
			r.svc.route(errorReply(st, "cancel", "conflict", "Several messages have this id: name it by its stanza-id", ""))
			return
		}
	}
	orig := target.msg
	if orig.Attrib("from") == r.jid || resourceOf(orig.Attrib("from")) == "" {
		r.svc.route(errorReply(st, "cancel", "not-acceptable", "Only occupants' messages can be moderated", ""))
		return
	}
	if isTombstone(orig) {
		r.svc.route(reply(st))
		return
	}
	modOID := r.occupantID(actorBare)
	tomb := r.tombstone(orig, by, modOID, req.reason)
	if target.hist >= 0 {
		r.retractHistory(target.hist, tomb)
	}
	if target.archived {
		r.retractArchived(target.sid, orig, r.archivedTombstone(orig, tomb))
	}
	ref := target.sid
	if ref == "" {
		ref = orig.Attrib("id")
	}
	r.broadcastMessage(r.moderationAnnouncement(ref, by, modOID, req.reason), nil)
	r.svc.route(reply(st))
}

// moderator returns the bare JID and in-room JID of from, when from may
// moderate messages; by is "" for a user outside the room with no
// registered nickname.
func (r *room) moderator(from string) (bare, by string, ok bool) {
	if o := r.occupantByReal(from); o != nil {
		return o.bare, o.nick, o.role >= roleModerator
	}
	bare = bareOf(from)
	if r.affiliation(from) < affAdmin {
		return bare, "", false
	}
	if nick := r.reserved[bare]; nick != "" {
		by = r.jid + "/" + nick
	}
	return bare, by, true
}

// isTombstone reports whether m is a message a moderation already
// replaced.
func isTombstone(m *xmlnode.Element) bool {
	if m.Child(nsRetract1, "retracted") != nil {
		return true
	}
	md := m.Child(nsModerate0, "moderated")
	return md != nil && md.Child(nsRetract0, "retracted") != nil
}

// tombstone builds what replaces orig: its sender, type and id, the
// author's occupant-id, and the <retracted/> marker of both versions (the
// version 1 one of XEP-0425 0.3.0, the version 0 one Prosody stores), with
// the moderator and the time. Body and every other payload are gone.
func (r *room) tombstone(orig *xmlnode.Element, by, modOID, reason string) *xmlnode.Element {
	t := newStanza("message", "from", orig.Attrib("from"), "type", "groupchat", "id", orig.Attrib("id"))
	if oid := orig.Child(nsOccupantID, "occupant-id"); oid != nil {
		child(t, nsOccupantID, "occupant-id", "", "id", oid.Attrib("id"))
	}
	at := stamp(r.svc.cfg.Now())
	moderated1(t, "retracted", "stamp", at, by, modOID, reason)
	md0 := child(t, nsModerate0, "moderated", "", "by", by)
	child(md0, nsRetract0, "retracted", "", "stamp", at)
	if reason != "" {
		child(md0, nsModerate0, "reason", reason)
	}
	child(md0, nsOccupantID, "occupant-id", "", "id", modOID)
	return t
}

// moderated1 appends version 1's element local (retracted in a
// tombstone, retract in the announcement) with its attribute attr=value,
// the moderator by and their occupant-id, and the reason if any.
func moderated1(parent *xmlnode.Element, local, attr, value, by, modOID, reason string) {
	ret := child(parent, nsRetract1, local, "", attr, value)
	md := child(ret, nsModerate1, "moderated", "", "by", by)
	child(md, nsOccupantID, "occupant-id", "", "id", modOID)
	if reason != "" {
		child(ret, nsRetract1, "reason", reason)
	}
}

// archivedTombstone is tomb as the archive keeps it: with the sender's
// real JID when the archived message had it (non-anonymous rooms,
// mam.go), which queries show only to those allowed to see it.
func (r *room) archivedTombstone(orig, tomb *xmlnode.Element) *xmlnode.Element {
	x := orig.Child(nsMUCUser, "x")
	if x == nil {
		return tomb
	}
	t := tomb.Copy()
	t.Append(x.Copy())
	return t
}

// moderationAnnouncement is the groupchat message from the room that tells
// every occupant message ref was retracted: version 1's <retract/> and
// version 0's <apply-to/> (both, as Prosody sends), a fallback body
// marked as such (XEP-0428) and a store hint, so that archives and
// clients keep it.
func (r *room) moderationAnnouncement(ref, by, modOID, reason string) *xmlnode.Element {
	m := newStanza("message", "type", "groupchat", "from", r.jid, "id", r.svc.cfg.NewID())
	moderated1(m, "retract", "id", ref, by, modOID, reason)
	apply := child(m, nsFasten, "apply-to", "", "id", ref)
	md0 := child(apply, nsModerate0, "moderated", "", "by", by)
	child(md0, nsOccupantID, "occupant-id", "", "id", modOID)
	child(md0, nsRetract0, "retract", "")
	if reason != "" {
		child(md0, nsModerate0, "reason", reason)
	}
	child(m, nsClient, "body", moderationFallback)
	child(m, nsFallback, "fallback", "", "for", nsRetract1)
	child(m, nsHints, "store", "")
	return m
}

// dropForgedModeration removes from an occupant's groupchat message what
// only the room may send: a moderation announcement (version 1's
// <retract/> holding <moderated/>, version 0's <apply-to/> holding
// <moderated/>) and tombstone markers. XEP-0425 tells clients to trust
// these only from the room's bare JID, but not every client checks
// (slixmpp's moderated_message event does not), so an occupant could
// otherwise make them hide anyone's message. A retraction of one's own
// message (XEP-0424, <retract/> without <moderated/>) passes.
func dropForgedModeration(m *xmlnode.Element) {
	out := m.Children[:0]
	for _, c := range m.Children {
		if el, ok := c.(*xmlnode.Element); ok && forgedModeration(el) {
			continue
		}
		out = append(out, c)
	}
	m.Children = out
}

func forgedModeration(el *xmlnode.Element) bool {
	switch {
	case el.Name.Space == nsRetract1 && el.Name.Local == "retract":
		return el.Child(nsModerate1, "moderated") != nil
	case el.Name.Space == nsFasten && el.Name.Local == "apply-to":
		return el.Child(nsModerate0, "moderated") != nil
	case el.Name.Space == nsRetract1 && el.Name.Local == "retracted",
		el.Name.Space == nsModerate0 && el.Name.Local == "moderated":
		return true
	}
	return false
}
