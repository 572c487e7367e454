package muc

import "github.com/muctest/muctest/xmlnode"

// registrationForm is the muc#register form (XEP-0045 section 7.10).
func registrationForm() *xmlnode.Element {
	x := newForm("form", "", "")
	addField(x, field{typ: "hidden", name: "FORM_TYPE", values: []string{nsMUCRegister}})
	addField(x, field{typ: "text-single", name: "muc#register_roomnick", label: "Nickname", required: true, noValue: true})
	return x
}

// handleRegister serves room registration: affiliated users (members and
// above; unaffiliated users may not register, as in Prosody's default)
// reserve a nickname, which then only they may use, and may cancel it.
func (r *room) handleRegister(st *xmlnode.Element, from string, q *xmlnode.Element) {
	user := bareOf(from)
	aff := r.affiliation(user)
	switch {
	case aff == affOutcast:
		r.svc.route(errorReply(st, "auth", "forbidden", "", ""))
		return
	case aff == affNone:
		r.svc.route(errorReply(st, "auth", "registration-required", "", ""))
		return
	}
	registered := r.reserved[user]
	res := xmlnode.New(nsRegister, "query")
	if st.Attrib("type") == "get" {
		if registered != "" {
			child(res, nsRegister, "registered", "")
			child(res, nsRegister, "username", registered)
		} else {
			res.Append(registrationForm())
		}
		r.svc.route(iqResult(st, res))
		return
	}
	if q.Child(nsRegister, "remove") != nil {
		newAff := aff
		if aff == affMember {
			newAff = affNone
		}
		if t, c := r.setAffiliation("", user, newAff.String(), "", nil, true); c != "" {
			r.svc.route(errorReply(st, t, c, "", ""))
			return
		}
		r.svc.route(reply(st))
		return
	}
	form := q.Child(nsData, "x")
	if form == nil {
		r.svc.route(errorReply(st, "modify", "bad-request", "Missing dataform", ""))
		return
	}
	if formType(form) != nsMUCRegister {
		r.svc.route(errorReply(st, "modify", "bad-request", "Error in form", ""))
		return
	}
	nick, ok := prepNick(readForm(form).text("muc#register_roomnick"))
	if !ok {
		r.svc.route(errorReply(st, "modify", "bad-request", "Invalid Nickname", ""))
		return
	}
	if o := r.occupantByNick(r.jid + "/" + nick); o != nil && o.bare != user {
		r.svc.route(errorReply(st, "cancel", "conflict", "", ""))
		return
	}
	if owner := r.registeredJID(nick); owner != "" && owner != user {
		r.svc.route(errorReply(st, "cancel", "conflict", "", ""))
		return
	}
	if registered != nick {
		if r.registrationsFull(st, user) {
			return
		}
		if t, c := r.setAffiliation("", user, aff.String(), "", &nick, false); c != "" {
			r.svc.route(errorReply(st, t, c, "", ""))
			return
		}
	}
	r.svc.route(reply(st))
}
