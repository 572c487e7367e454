package muc

import "github.com/muctest/muctest/xmlnode"

// voiceRequestForm is the muc#request form a visitor's request is relayed
// in, and a moderator answers (XEP-0045 sections 7.13 and 8.6).
func voiceRequestForm(realJID, nick string) *xmlnode.Element {
	x := newForm("form", "Voice Request", "")
	addField(x, field{typ: "hidden", name: "FORM_TYPE", values: []string{nsMUCRequest}})
	addField(x, field{typ: "jid-single", name: "muc#jid", label: "User ID", desc: "The user's JID (address)", values: []string{realJID}})
	addField(x, field{typ: "text-single", name: "muc#roomnick", label: "Room nickname", desc: "The user's nickname within the room", values: []string{nick}})
	addField(x, field{typ: "list-single", name: "muc#role", label: "Requested role", values: []string{"participant"},
		options: [][2]string{{"none", "none"}, {"visitor", "visitor"}, {"participant", "participant"}, {"moderator", "moderator"}}})
	addField(x, field{typ: "boolean", name: "muc#request_allow", label: "Grant voice to this person?",
		desc: "Specify whether this person is able to speak in a moderated room", values: boolValue(false)})
	return x
}

// handleVoiceRequest relays a visitor's voice request to the moderators,
// or applies a moderator's answer to one.
func (r *room) handleVoiceRequest(st *xmlnode.Element, from string, form *xmlnode.Element) {
	o := r.occupantByReal(from)
	if o == nil {
		return
	}
	if o.role != roleModerator {
		if o.role != roleVisitor {
			return
		}
		m := newStanza("message", "type", "normal", "from", r.jid)
		m.Append(voiceRequestForm(from, o.nickname()))
		r.broadcast(m, func(rec *occupant) bool { return rec.role == roleModerator })
		return
	}
	f := readForm(form)
	if !f.boolean("muc#request_allow") {
		return
	}
	target := r.occupantByReal(f.text("muc#jid"))
	if target == nil || target.role != roleVisitor {
		return
	}
	if t, c := r.setRole(from, target.nick, "participant", "Voice granted"); c != "" {
		r.svc.route(errorReply(st, t, c, "", ""))
	}
}
