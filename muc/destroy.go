package muc

import (
	"strings"
	"time"

	"github.com/muctest/muctest/xmlnode"
)

// tombstoneTTL is how long a destroyed persistent room answers "gone"
// (Prosody's muc_tombstone_expiry default: 31 days).
const tombstoneTTL = 31 * 24 * time.Hour

// tombstone remembers a destroyed persistent room so that joins get a
// <gone/> error naming the reason and the alternate venue.
type tombstone struct {
	until          time.Time
	reason, newJID string
}

// destroy removes every occupant (each sees only its own unavailable
// presence, carrying <destroy/> with the reason and alternate venue) and
// forgets the room.
func (r *room) destroy(newJID, reason, password string) {
	x := mucUserX()
	d := child(x, nsMUCUser, "destroy", "", "jid", newJID)
	if reason != "" {
		child(d, nsMUCUser, "reason", reason)
	}
	if password != "" {
		child(d, nsMUCUser, "password", password)
	}
	r.destroying = true
	var out []evicted
	for _, o := range r.eachOccupant() {
		out = append(out, r.evict(o))
	}
	for _, l := range out {
		r.publicise(l.o, presenceChange{x: x, prevRole: l.prev})
	}
	r.forget()
	if r.conf.persistent {
		r.svc.tombstones[r.jid] = tombstone{until: r.svc.cfg.Now().Add(tombstoneTTL), reason: reason, newJID: newJID}
	}
}

// command is an XEP-0050 ad-hoc command the service offers its admins.
type command struct {
	name string
	run  func(s *Service, st *xmlnode.Element, cmd *xmlnode.Element, form *xmlnode.Element) *xmlnode.Element
}

const destroyNode = "http://prosody.im/protocol/muc#destroy"

var commands = map[string]command{
	destroyNode: {name: "Destroy Rooms", run: (*Service).destroyRoomsCommand},
}

var commandOrder = []string{destroyNode}

// handleCommand runs an admin command: without a form it answers with the
// form to fill in; with one it executes and completes.
func (s *Service) handleCommand(st *xmlnode.Element, from string, cmd *xmlnode.Element) {
	node := cmd.Attrib("node")
	c, ok := commands[node]
	if !ok {
		s.route(errorReply(st, "cancel", "item-not-found", "", ""))
		return
	}
	if !s.isAdmin(from) {
		s.route(errorReply(st, "auth", "forbidden", "You don't have permission to execute this command", ""))
		return
	}
	res := xmlnode.New(nsCommands, "command", "node", node)
	sid := cmd.Attrib("sessionid")
	if sid == "" {
		sid = s.cfg.NewID()
	}
	res.SetAttr("sessionid", sid)
	if cmd.Attrib("action") == "cancel" {
		res.SetAttr("status", "canceled")
		s.route(iqResult(st, res))
		return
	}
	form := cmd.Child(nsData, "x")
	if form == nil {
		res.SetAttr("status", "executing")
		actions := child(res, nsCommands, "actions", "", "execute", "complete")
		child(actions, nsCommands, "next", "")
		child(actions, nsCommands, "complete", "")
		res.Append(s.destroyRoomsForm())
		s.route(iqResult(st, res))
		return
	}
	res.SetAttr("status", "completed")
	if note := c.run(s, st, cmd, form); note != nil {
		res.Append(note)
	}
	s.route(iqResult(st, res))
}

// destroyRoomsForm lists every room for the destroy command.
func (s *Service) destroyRoomsForm() *xmlnode.Element {
	x := newForm("form", "Destroy rooms", "Select the rooms to destroy")
	addField(x, field{typ: "hidden", name: "FORM_TYPE", values: []string{destroyNode}})
	var opts [][2]string
	for _, j := range sortedKeys(s.rooms) {
		opts = append(opts, [2]string{j, ""})
	}
	addField(x, field{typ: "list-multi", name: "rooms", label: "Rooms to destroy:", required: true, options: opts})
	return x
}

// destroyRoomsCommand destroys the rooms named in the form.
func (s *Service) destroyRoomsCommand(st, cmd, form *xmlnode.Element) *xmlnode.Element {
	rooms := readForm(form).values["rooms"]
	if len(rooms) == 0 {
		return noteElement("error", "rooms: Required value missing")
	}
	var destroyed []string
	for _, j := range rooms {
		if r := s.rooms[j]; r != nil {
			r.destroy("", "", "")
			destroyed = append(destroyed, r.jid)
		}
	}
	return noteElement("info", "The following rooms were destroyed:\n"+strings.Join(destroyed, "\n"))
}

func noteElement(typ, text string) *xmlnode.Element {
	n := xmlnode.New(nsCommands, "note", "type", typ)
	n.SetText(text)
	return n
}

func sortedKeys(m map[string]*room) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
