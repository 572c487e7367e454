package muc

import (
	"github.com/muctest/muctest/archive"
	"github.com/muctest/muctest/xmlnode"
)

// This file holds the service's share of issue 11's quotas: rooms in total
// (Limits.MaxRooms) and registered nicknames per room
// (Limits.MaxRegistered), and the index that finds a nickname's owner
// without scanning the affiliation list on every join.

// roomsFull answers st with Prosody's refusal when the service holds
// MaxRooms rooms (mod_muc's muc-room-pre-create: wait/resource-constraint
// from the service). Service admins are exempt. s.mu is held.
func (s *Service) roomsFull(st *xmlnode.Element, from string) bool {
	max := s.cfg.Limits.MaxRooms
	if max <= 0 || len(s.rooms) < max || s.isAdmin(from) {
		return false
	}
	s.route(errorReply(st, "wait", "resource-constraint", "", s.cfg.Domain))
	return true
}

// registrationsFull answers st with resource-constraint when the room holds
// MaxRegistered registered nicknames and user has none yet.
func (r *room) registrationsFull(st *xmlnode.Element, user string) bool {
	max := r.svc.cfg.Limits.MaxRegistered
	if max <= 0 || r.reserved[user] != "" || len(r.reserved) < max {
		return false
	}
	r.svc.route(errorReply(st, "wait", "resource-constraint", "Too many registered nicknames", ""))
	return true
}

// setReserved records nick as user's registered nickname ("" removes it),
// keeping the nickname -> user index in step.
func (r *room) setReserved(user, nick string) {
	if old := r.reserved[user]; old != "" && r.nickOwner[old] == user {
		delete(r.nickOwner, old)
	}
	if nick == "" {
		delete(r.reserved, user)
		return
	}
	r.reserved[user] = nick
	if r.nickOwner == nil {
		r.nickOwner = map[string]string{}
	}
	r.nickOwner[nick] = user
}

// newArchive makes a room's archive within Limits.Archive.
func (s *Service) newArchive() *archive.Archive {
	l := s.cfg.Limits.Archive
	if l.MaxItems == 0 {
		l.MaxItems = archiveLimit
	}
	return archive.New(l)
}

// appendArchive archives e in the room unless every room's archive
// together holds Limits.ArchiveTotalBytes, and keeps the service's total;
// it reports whether e was kept.
func (r *room) appendArchive(e archive.Entry) bool {
	s := r.svc
	if max := s.cfg.Limits.ArchiveTotalBytes; max > 0 && s.archBytes+int64(len(e.Msg.AppendTo(nil, "jabber:client"))) > max {
		return false
	}
	before := r.arch.Bytes()
	kept := r.arch.Append(e)
	s.archBytes += r.arch.Bytes() - before
	return kept
}

// forget removes the room from the service, with its archive's bytes.
func (r *room) forget() {
	if r.arch != nil {
		r.svc.archBytes -= r.arch.Bytes()
	}
	r.svc.uncountCreator(r)
	r.setHistory(nil)
	delete(r.svc.rooms, r.jid)
	r.svc.relist(r)
}
