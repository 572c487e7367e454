package muc

import (
	"sort"
	"strconv"

	"github.com/muctest/muctest/xmlnode"
)

// whois values of muc#roomconfig_whois.
const (
	whoisModerators = "moderators" // semi-anonymous room
	whoisAnyone     = "anyone"     // non-anonymous room
)

// roomConfig is everything the owner configuration form controls.
type roomConfig struct {
	name, description, lang string
	persistent, public      bool
	membersOnly             bool
	allowMemberInvites      bool // members may invite (and so admit) others to a members-only room
	allowInvites            bool // occupants may invite in an open room
	moderated               bool
	password                string
	whois                   string
	changeSubject           bool
	historyLength           int
	defaultHistory          int
	broadcast               [4]bool // presence broadcast, indexed by role
	archiving               bool    // messages get stanza-ids (XEP-0359)
	maxUsers                int     // 0: no limit
	allowPM                 string  // anyone, participants, moderators, none
}

// defaultConfig is a new room's configuration: temporary, hidden,
// semi-anonymous, open, unmoderated, no password.
func defaultConfig() roomConfig {
	return roomConfig{
		whois:          whoisModerators,
		allowInvites:   true,
		historyLength:  defaultHistoryLength,
		defaultHistory: defaultHistoryLength,
		broadcast:      [4]bool{roleVisitor: true, roleParticipant: true, roleModerator: true},
		archiving:      true,
		allowPM:        "anyone",
	}
}

// Field names of the configuration form.
const (
	fRoomName       = "muc#roomconfig_roomname"
	fRoomDesc       = "muc#roomconfig_roomdesc"
	fLang           = "muc#roomconfig_lang"
	fPersistent     = "muc#roomconfig_persistentroom"
	fPublic         = "muc#roomconfig_publicroom"
	fSecret         = "muc#roomconfig_roomsecret"
	fPasswordProt   = "muc#roomconfig_passwordprotectedroom"
	fMembersOnly    = "muc#roomconfig_membersonly"
	fMemberInvites  = "{http://prosody.im/protocol/muc}roomconfig_allowmemberinvites"
	fAllowInvites   = "muc#roomconfig_allowinvites"
	fMaxUsers       = "muc#roomconfig_maxusers"
	fChangeSubject  = "muc#roomconfig_changesubject"
	fModerated      = "muc#roomconfig_moderatedroom"
	fWhois          = "muc#roomconfig_whois"
	fAllowPM        = "muc#roomconfig_allowpm"
	fHistoryLength  = "muc#roomconfig_historylength"
	fDefaultHistory = "muc#roomconfig_defaulthistorymessages"
	fBroadcast      = "muc#roomconfig_presencebroadcast"
	fArchiving      = "muc#roomconfig_enablearchiving"
)

// configForm renders the room's configuration form, laid out like
// Prosody's (sections, labels, field order) with our additions (max users,
// private messages, invites) in their sections.
func (r *room) configForm() *xmlnode.Element {
	c := r.conf
	x := newForm("form", "Configuration for "+r.jid, "Complete and submit this form to configure the room.")
	addField(x, field{typ: "hidden", name: "FORM_TYPE", values: []string{nsRoomConfig}})
	fixed := func(s string) { addField(x, field{typ: "fixed", values: []string{s}}) }
	text := func(v string) []string {
		if v == "" {
			return nil
		}
		return []string{v}
	}
	optBool := func(b bool) ([]string, bool) { // Prosody leaves unset booleans without a value
		if b {
			return []string{"1"}, false
		}
		return nil, true
	}

	fixed("Room information")
	addField(x, field{typ: "text-single", name: fRoomName, label: "Title", values: text(c.name), noValue: c.name == ""})
	addField(x, field{typ: "text-single", name: fRoomDesc, label: "Description", desc: "A brief description of the room", values: text(c.description)})
	addField(x, field{typ: "text-single", name: fLang, label: "Language tag for room (e.g. 'en', 'de', 'fr' etc.)",
		desc: "Indicate the primary language spoken in this room", datatype: "xs:language", values: text(c.lang)})
	v, nv := optBool(c.persistent)
	addField(x, field{typ: "boolean", name: fPersistent, label: "Persistent (room should remain even when it is empty)",
		desc: "Rooms are automatically deleted when they are empty, unless this option is enabled", values: v, noValue: nv})
	addField(x, field{typ: "boolean", name: fPublic, label: "Include room information in public lists",
		desc: "Enable this to allow people to find the room", values: boolValue(c.public)})

	fixed("Access to the room")
	addField(x, field{typ: "boolean", name: fPasswordProt, label: "Password protected", values: boolValue(c.password != "")})
	addField(x, field{typ: "text-private", name: fSecret, label: "Password", values: text(c.password)})
	v, nv = optBool(c.membersOnly)
	addField(x, field{typ: "boolean", name: fMembersOnly, label: "Only allow members to join",
		desc: "Enable this to only allow access for room owners, admins and members", values: v, noValue: nv})
	v, nv = optBool(c.allowMemberInvites)
	addField(x, field{typ: "boolean", name: fMemberInvites, label: "Allow members to invite new members", values: v, noValue: nv})
	maxUsers := "none"
	if c.maxUsers > 0 {
		maxUsers = strconv.Itoa(c.maxUsers)
	}
	addField(x, field{typ: "list-single", name: fMaxUsers, label: "Maximum number of occupants",
		options: [][2]string{{"10", ""}, {"20", ""}, {"30", ""}, {"50", ""}, {"100", ""}, {"none", "No limit"}},
		values:  []string{maxUsers}})

	fixed("Permissions in the room")
	v, nv = optBool(c.changeSubject)
	addField(x, field{typ: "boolean", name: fChangeSubject, label: "Allow anyone to set the room's subject",
		desc: "Choose whether anyone, or only moderators, may set the room's subject", values: v, noValue: nv})
	v, nv = optBool(c.moderated)
	addField(x, field{typ: "boolean", name: fModerated, label: "Moderated (require permission to speak)",
		desc: "In moderated rooms occupants must be given permission to speak by a room moderator", values: v, noValue: nv})
	addField(x, field{typ: "list-single", name: fWhois, label: "Addresses (JIDs) of room occupants may be viewed by:",
		options: [][2]string{{whoisModerators, "Moderators only"}, {whoisAnyone, "Anyone"}}, values: []string{c.whois}})
	addField(x, field{typ: "boolean", name: fAllowInvites, label: "Allow occupants to invite others", values: boolValue(c.allowInvites)})
	addField(x, field{typ: "list-single", name: fAllowPM, label: "Allow private messages from:",
		options: [][2]string{{"anyone", "Anyone"}, {"participants", "Participants"}, {"moderators", "Moderators"}, {"none", "Nobody"}},
		values:  []string{c.allowPM}})

	fixed("Other options")
	addField(x, field{typ: "text-single", name: fHistoryLength, label: "Maximum number of history messages returned by room",
		desc:     "Specify the maximum number of previous messages that should be sent to users when they join the room",
		datatype: "xs:integer", values: []string{strconv.Itoa(c.historyLength)}})
	addField(x, field{typ: "text-single", name: fDefaultHistory, label: "Default number of history messages returned by room",
		desc:     "Specify the number of previous messages sent to new users when they join the room",
		datatype: "xs:integer", values: []string{strconv.Itoa(c.defaultHistory)}})
	var bc []string
	for rl := roleModerator; rl >= roleNone; rl-- {
		if c.broadcast[rl] {
			bc = append(bc, rl.String())
		}
	}
	addField(x, field{typ: "list-multi", name: fBroadcast, label: "Only show participants with roles:",
		options: [][2]string{{"none", "none"}, {"visitor", "visitor"}, {"participant", "participant"}, {"moderator", "moderator"}},
		values:  bc})
	addField(x, field{typ: "boolean", name: fArchiving, label: "Enable archiving?", values: boolValue(c.archiving)})
	return x
}

// handleOwnerGet sends the configuration form to an owner.
func (r *room) handleOwnerGet(st *xmlnode.Element, from string) {
	if r.affiliation(from) != affOwner {
		r.svc.route(errorReply(st, "auth", "forbidden", "Only owners can configure rooms", ""))
		return
	}
	q := xmlnode.New(nsMUCOwner, "query")
	q.Append(r.configForm())
	r.svc.route(iqResult(st, q))
}

// handleOwnerSet handles a submitted or cancelled configuration form, or a
// room destruction.
func (r *room) handleOwnerSet(st *xmlnode.Element, from string, q *xmlnode.Element) {
	if r.affiliation(from) != affOwner {
		r.svc.route(errorReply(st, "auth", "forbidden", "Only owners can configure rooms", ""))
		return
	}
	els := q.Elements()
	switch {
	case len(els) == 0:
		r.svc.route(errorReply(st, "modify", "bad-request", "", ""))
	case els[0].Name.Local == "destroy":
		d := els[0]
		// The alternate venue is forwarded to every occupant: refuse one
		// that does not parse rather than relay it.
		newJID, ok := r.prepOptionalJID(st, d.Attrib("jid"))
		if !ok {
			return
		}
		r.destroy(newJID, d.ChildText("", "reason"), d.ChildText("", "password"))
		r.svc.route(reply(st))
	case els[0].Name.Space == nsData && els[0].Name.Local == "x":
		r.processConfigForm(st, els[0])
	default:
		r.svc.route(errorReply(st, "cancel", "service-unavailable", "", ""))
	}
}

// processConfigForm applies a submitted configuration form (an empty one
// accepts the defaults: an instant room), unlocks the room, replies, then
// tells the occupants what changed with status codes 104, 170-173.
func (r *room) processConfigForm(st, x *xmlnode.Element) {
	switch x.Attrib("type") {
	case "cancel":
		r.svc.route(reply(st))
		return
	case "submit":
	default:
		r.svc.route(errorReply(st, "cancel", "bad-request", "Not a submitted form", ""))
		return
	}
	f := submitted{values: map[string][]string{}}
	if len(x.Elements()) > 0 {
		f = readForm(x)
		if f.text("FORM_TYPE") != nsRoomConfig {
			r.svc.route(errorReply(st, "cancel", "bad-request", "Form is not of type room configuration", ""))
			return
		}
	}
	if f.has(fWhois) {
		if w := f.text(fWhois); w != whoisAnyone && w != whoisModerators {
			r.svc.route(errorReply(st, "modify", "not-acceptable", "Invalid value for "+fWhois, ""))
			return
		}
	}
	if msg := r.svc.configTextTooLong(f); msg != "" {
		r.svc.route(errorReply(st, "modify", "not-acceptable", msg, ""))
		return
	}
	r.unlock()
	codes := r.applyConfig(f)
	r.svc.relist(r) // its name or publicity may have changed
	r.svc.route(reply(st))
	r.announceStatusCodes(codes)
}

// applyConfig sets the room options f holds (those it leaves out keep their
// value) and returns the XEP-0045 status codes the change calls for: 104
// for a visible change, 170/171 for archiving on/off, 172/173 for the room
// becoming non-anonymous/semi-anonymous.
func (r *room) applyConfig(f submitted) map[int]bool {
	codes := map[int]bool{}
	changed := func(ok bool) {
		if ok {
			codes[104] = true
		}
	}
	c := &r.conf
	setText := func(name string, p *string) {
		if f.has(name) {
			v := f.text(name)
			changed(*p != v)
			*p = v
		}
	}
	setBool := func(name string, p *bool) bool {
		if f.has(name) {
			v := f.boolean(name)
			was := *p
			*p = v
			changed(was != v)
			return was != v
		}
		return false
	}
	setText(fRoomName, &c.name)
	setText(fRoomDesc, &c.description)
	setText(fLang, &c.lang)
	setBool(fPersistent, &c.persistent)
	setBool(fPublic, &c.public)
	if f.has(fSecret) {
		setText(fSecret, &c.password)
	} else if f.has(fPasswordProt) && !f.boolean(fPasswordProt) && c.password != "" {
		// Turning protection off without giving a secret drops the
		// password; a submitted secret always wins, so that a client
		// leaving the checkbox at its default keeps the password it set.
		c.password = ""
		changed(true)
	}
	if setBool(fMembersOnly, &c.membersOnly) && c.membersOnly {
		r.removeNonMembers()
	}
	setBool(fMemberInvites, &c.allowMemberInvites)
	if f.has(fMaxUsers) {
		n, err := strconv.Atoi(f.text(fMaxUsers))
		if err != nil || n < 0 {
			n = 0
		}
		changed(n != c.maxUsers)
		c.maxUsers = n
	}
	setBool(fChangeSubject, &c.changeSubject)
	setBool(fModerated, &c.moderated)
	if f.has(fWhois) {
		if w := f.text(fWhois); w != c.whois {
			c.whois = w
			if w == whoisAnyone {
				codes[172] = true
			} else {
				codes[173] = true
			}
		}
	}
	setBool(fAllowInvites, &c.allowInvites)
	if f.has(fAllowPM) {
		switch v := f.text(fAllowPM); v {
		case "anyone", "participants", "moderators", "none":
			changed(v != c.allowPM)
			c.allowPM = v
		}
	}
	if f.has(fHistoryLength) {
		n, err := strconv.Atoi(f.text(fHistoryLength))
		if err != nil || n < 0 {
			n = defaultHistoryLength
		}
		n = min(n, r.svc.maxHistory())
		c.historyLength = n
		if len(r.history) > n {
			r.setHistory(append(r.history[:0:0], r.history[len(r.history)-n:]...))
		}
		codes[104] = true // Prosody reports this one even when unchanged
	}
	if f.has(fDefaultHistory) {
		n, err := strconv.Atoi(f.text(fDefaultHistory))
		if err != nil || n < 0 {
			n = defaultHistoryLength
		}
		c.defaultHistory = min(n, c.historyLength)
	}
	if f.has(fBroadcast) {
		var b [4]bool
		for _, v := range f.values[fBroadcast] {
			if rl, ok := parseRole(v); ok {
				b[rl] = true
			}
		}
		if b != c.broadcast {
			r.setPresenceBroadcast(b)
			codes[104] = true
		}
	}
	if f.has(fArchiving) {
		c.archiving = f.boolean(fArchiving)
		if c.archiving {
			codes[170] = true
		} else {
			codes[171] = true
		}
	}
	return codes
}

// announceStatusCodes tells the occupants what a configuration change did,
// with one groupchat message carrying the codes in order; nothing when
// codes is empty.
func (r *room) announceStatusCodes(codes map[int]bool) {
	if len(codes) == 0 {
		return
	}
	var sorted []int
	for code := range codes {
		sorted = append(sorted, code)
	}
	sort.Ints(sorted)
	m := newStanza("message", "type", "groupchat", "from", r.jid)
	x2 := child(m, nsMUCUser, "x", "")
	for _, code := range sorted {
		addStatus(x2, strconv.Itoa(code))
	}
	r.broadcastMessage(m, nil)
}

// removeNonMembers removes unaffiliated occupants (status 322) from a room
// that just became members-only. The remaining occupants are told too, as
// XEP-0045 section 10.2 requires ("sent to those users as well as any
// remaining occupants"). Prosody 0.12 quotes that sentence but tells only
// the removed users: it publicises the removal without the previous role,
// and role none is never broadcast.
func (r *room) removeNonMembers() {
	var out []evicted
	for _, o := range r.eachOccupant() {
		if r.affiliation(o.bare) <= affNone {
			out = append(out, r.evict(o))
		}
	}
	x := mucUserX()
	addStatus(x, "322")
	for _, rm := range out {
		r.publicise(rm.o, presenceChange{x: x, prevRole: rm.prev})
		r.occupantLeft()
	}
}

// setPresenceBroadcast changes which roles' presence is broadcast,
// announcing occupants who become visible and hiding those who do not.
func (r *room) setPresenceBroadcast(b [4]bool) {
	old := r.conf.broadcast
	r.conf.broadcast = b
	for _, o := range r.eachOccupant() {
		switch {
		case b[o.role] && !old[o.role]:
			r.publicise(o, presenceChange{})
		case old[o.role] && !b[o.role]:
			r.publicise(o, presenceChange{force: true})
		}
	}
}
