package muc

import "github.com/muctest/muctest/xmlnode"

// subjectMessage builds the groupchat message that carries the subject.
func subjectMessage(from, subject string) *xmlnode.Element {
	m := newStanza("message", "from", from, "type", "groupchat")
	child(m, nsClient, "subject", subject)
	return m
}

// sendSubject sends the current subject to a joining session: from the
// room JID when nobody set one, else from the occupant who set it, with a
// delay stamp saying when.
func (r *room) sendSubject(to string) {
	from := r.jid
	if r.subjectFrom != "" {
		from = r.subjectFrom
	}
	m := subjectMessage(from, r.subject)
	m.SetAttr("to", to)
	if r.subjectTime != "" {
		child(m, nsDelay, "delay", "", "from", r.jid, "stamp", r.subjectTime)
	}
	r.svc.route(m)
}

// setSubject changes the subject and tells every occupant.
func (r *room) setSubject(from, subject string) {
	if subject == r.subject && from == r.subjectFrom {
		return
	}
	r.subjectFrom = from
	r.subject = subject
	r.subjectTime = stamp(r.svc.cfg.Now())
	r.broadcastMessage(subjectMessage(from, subject), nil)
}

// handleSubjectChange applies a groupchat message that carries only a
// subject. A message with a subject and a body or thread is an ordinary
// message (XEP-0045 section 8.1, Prosody issue #667), so handled reports
// false for it. Moderators may always change the subject; participants
// when the room allows it.
func (r *room) handleSubjectChange(st *xmlnode.Element, o *occupant) (handled bool) {
	subj := st.Child(nsClient, "subject")
	if subj == nil || st.Child(nsClient, "body") != nil || st.Child(nsClient, "thread") != nil {
		return false
	}
	if o.role >= roleModerator || (o.role >= roleParticipant && r.conf.changeSubject) {
		r.setSubject(o.nick, subj.Text())
		return true
	}
	r.svc.route(errorReply(st, "auth", "forbidden", "You are not allowed to change the subject", ""))
	return true
}
