package muc

import (
	"strconv"

	"github.com/muctest/muctest/xmlnode"
)

// reservedNickNode is the disco#info node that asks a room for one's
// registered nickname (XEP-0045 section 7.12).
const reservedNickNode = "x-roomuser-item"

// handleDiscoInfo describes a room: identity, features naming its
// configuration (muc_membersonly, muc_semianonymous...) and the
// muc#roominfo form; or, on the x-roomuser-item node, the asker's reserved
// nickname.
func (r *room) handleDiscoInfo(st *xmlnode.Element, from string, q *xmlnode.Element) {
	node := q.Attrib("node")
	res := xmlnode.New(nsDiscoInfo, "query")
	if node != "" {
		res.SetAttr("node", node)
		if node == reservedNickNode {
			if nick := r.reserved[bareOf(from)]; nick != "" {
				child(res, nsDiscoInfo, "identity", "", "category", "conference", "type", "text", "name", nick)
			}
		}
		r.svc.route(iqResult(st, res))
		return
	}
	c := r.conf
	child(res, nsDiscoInfo, "identity", "", "category", "conference", "type", "text", "name", c.name)
	feature := func(v string) { child(res, nsDiscoInfo, "feature", "", "var", v) }
	pick := func(b bool, yes, no string) string {
		if b {
			return yes
		}
		return no
	}
	feature(nsMUC)
	feature(nsMUC + "#stable_id")
	feature(nsMUC + "#self-ping-optimization")
	feature(nsMUCRequest)
	feature(nsRegister)
	feature(nsOccupantID)
	feature(nsStanzaID)
	feature(nsModerate0) // moderate.go
	feature(nsModerate1)
	if c.archiving {
		feature(nsMAM)
		feature(nsMAMExt)
	}
	feature(pick(c.public, "muc_public", "muc_hidden"))
	feature(pick(c.persistent, "muc_persistent", "muc_temporary"))
	feature(pick(c.membersOnly, "muc_membersonly", "muc_open"))
	feature(pick(c.moderated, "muc_moderated", "muc_unmoderated"))
	feature(pick(c.whois == whoisAnyone, "muc_nonanonymous", "muc_semianonymous"))
	feature(pick(c.password != "", "muc_passwordprotected", "muc_unsecured"))

	x := newForm("result", "", "")
	addField(x, field{typ: "hidden", name: "FORM_TYPE", values: []string{nsRoomInfo}})
	addField(x, field{typ: "text-single", name: fRoomName, label: "Title", values: nonEmpty(c.name), noValue: c.name == ""})
	addField(x, field{typ: "text-single", name: "muc#roominfo_description", label: "Description", values: nonEmpty(c.description)})
	addField(x, field{typ: "text-single", name: "muc#roominfo_lang", values: nonEmpty(c.lang)})
	addField(x, field{typ: "boolean", name: fMemberInvites, label: "Allow members to invite new members", values: boolValue(c.allowMemberInvites)})
	addField(x, field{typ: "boolean", name: fAllowInvites, label: "Allow users to invite other users",
		values: boolValue((!c.membersOnly && c.allowInvites) || c.allowMemberInvites)})
	addField(x, field{typ: "boolean", name: fChangeSubject, values: boolValue(c.changeSubject)})
	addField(x, field{typ: "text-single", name: "muc#roominfo_occupants", label: "Number of occupants", values: []string{strconv.Itoa(len(r.occupants))}})
	if r.subject != "" {
		addField(x, field{typ: "text-single", name: "muc#roominfo_subject", label: "Subject", values: []string{r.subject}})
	}
	if c.maxUsers > 0 {
		addField(x, field{typ: "text-single", name: fMaxUsers, label: "Maximum number of occupants", values: []string{strconv.Itoa(c.maxUsers)}})
	}
	res.Append(x)
	r.svc.route(iqResult(st, res))
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// handleHost handles stanzas to the service's own domain: disco, unique
// room names (XEP-0307) and the admin commands (XEP-0050). Presence and
// messages to the service are refused as Prosody does.
func (s *Service) handleHost(st *xmlnode.Element, from string) {
	typ := st.Attrib("type")
	if st.Name.Local != "iq" {
		if typ != "error" {
			s.route(errorReply(st, "cancel", "item-not-found", "", s.cfg.Domain))
		}
		return
	}
	if typ != "get" && typ != "set" {
		return
	}
	els := st.Elements()
	if len(els) == 0 {
		s.route(errorReply(st, "cancel", "service-unavailable", "", ""))
		return
	}
	q := els[0]
	switch {
	case q.Name.Space == nsDiscoInfo && typ == "get":
		s.hostDiscoInfo(st, from, q)
	case q.Name.Space == nsDiscoItems && typ == "get":
		s.hostDiscoItems(st, from, q)
	case q.Name.Space == nsMUCUnique && q.Name.Local == "unique" && typ == "get":
		u := xmlnode.New(nsMUCUnique, "unique")
		u.SetText(lowerASCII(s.cfg.NewID()))
		s.route(iqResult(st, u))
	case q.Name.Space == nsCommands && q.Name.Local == "command" && typ == "set":
		s.handleCommand(st, from, q)
	default:
		s.route(errorReply(st, "cancel", "service-unavailable", "", ""))
	}
}

func (s *Service) hostDiscoInfo(st *xmlnode.Element, from string, q *xmlnode.Element) {
	node := q.Attrib("node")
	res := xmlnode.New(nsDiscoInfo, "query")
	if node != "" {
		res.SetAttr("node", node)
		if c, ok := commands[node]; ok && s.isAdmin(from) {
			child(res, nsDiscoInfo, "identity", "", "category", "automation", "type", "command-node", "name", c.name)
			child(res, nsDiscoInfo, "feature", "", "var", nsCommands)
			child(res, nsDiscoInfo, "feature", "", "var", nsData)
		} else if node != nsCommands {
			s.route(errorReply(st, "cancel", "item-not-found", "", ""))
			return
		}
		s.route(iqResult(st, res))
		return
	}
	child(res, nsDiscoInfo, "identity", "", "category", "conference", "type", "text", "name", s.cfg.Name)
	for _, f := range []string{nsDiscoInfo, nsDiscoItems, nsCommands, nsMAM, nsOccupantID, nsMUC, nsMUCUnique, nsRSM} {
		child(res, nsDiscoInfo, "feature", "", "var", f)
	}
	s.route(iqResult(st, res))
}

// hostDiscoItems lists the public rooms (or, on the commands node, the
// admin commands an admin may run).
func (s *Service) hostDiscoItems(st *xmlnode.Element, from string, q *xmlnode.Element) {
	node := q.Attrib("node")
	res := xmlnode.New(nsDiscoItems, "query")
	switch node {
	case "":
		p, paged, bad := parsePage(q)
		switch {
		case bad:
			s.route(errorReply(st, "modify", "bad-request", "Invalid result set request", ""))
		case paged:
			rooms, first, count := s.page(p)
			s.afterUnlock(func() {
				res := roomItems(rooms)
				res.Append(pageSet(rooms, first, count))
				s.route(iqResult(st, res))
			})
		default:
			rooms := s.publicRooms()
			s.afterUnlock(func() { s.route(iqResult(st, roomItems(rooms))) })
		}
		return
	case nsCommands:
		res.SetAttr("node", node)
		if s.isAdmin(from) {
			for _, n := range commandOrder {
				child(res, nsDiscoItems, "item", "", "jid", s.cfg.Domain, "node", n, "name", commands[n].name)
			}
		}
	default:
		res.SetAttr("node", node)
	}
	s.route(iqResult(st, res))
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
