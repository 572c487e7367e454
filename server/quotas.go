package server

import (
	"github.com/muctest/muctest/archive"
	"github.com/muctest/muctest/mod/blocking"
	"github.com/muctest/muctest/mod/mam"
	"github.com/muctest/muctest/mod/offline"
	"github.com/muctest/muctest/mod/private"
	"github.com/muctest/muctest/mod/roster"
	"github.com/muctest/muctest/mod/vcard"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/muc"
)

// mucLimits is Config.MUCLimits with the rooms and registration quotas of
// Config.Quotas where MUCLimits sets none, and MaxRoomsPerIP's default
// (muc.DefaultRoomsPerIPFactor times MaxRoomsPerUser, or
// muc.DefaultMaxRoomsPerIP; negative: none) and MaxAffiliations'
// (muc.DefaultMaxAffiliations; negative: none).
func (s *Server) mucLimits() muc.Limits {
	l, q := s.cfg.MUCLimits, s.cfg.Quotas.WithDefaults()
	if l.MaxRooms == 0 {
		l.MaxRooms = q.MUCRooms
	}
	switch {
	case l.MaxRoomsPerIP < 0:
		l.MaxRoomsPerIP = 0 // muc: no limit
	case l.MaxRoomsPerIP == 0 && l.MaxRoomsPerUser > 0:
		l.MaxRoomsPerIP = muc.DefaultRoomsPerIPFactor * l.MaxRoomsPerUser
	case l.MaxRoomsPerIP == 0:
		l.MaxRoomsPerIP = muc.DefaultMaxRoomsPerIP
	}
	switch {
	case l.MaxAffiliations < 0:
		l.MaxAffiliations = 0 // muc: no limit
	case l.MaxAffiliations == 0:
		l.MaxAffiliations = muc.DefaultMaxAffiliations
	}
	if l.MaxRegistered == 0 {
		l.MaxRegistered = q.MUCRegistered
	}
	if l.Archive == (archive.Limits{}) {
		l.Archive = archive.Limits{MaxItems: q.ArchiveItems, MaxBytes: q.ArchiveBytes}
	}
	if l.ArchiveTotalBytes == 0 {
		l.ArchiveTotalBytes = q.RoomArchiveTotalBytes
	}
	return l
}

// withQuotas hands Config.Quotas to the default modules that store state
// for accounts, so that one group of fields (and one mucd flag each) bounds
// every store; a module given in Config.Modules keeps its own limits.
func (s *Server) withQuotas(m module.Module) module.Module {
	q := s.cfg.Quotas.WithDefaults()
	switch m := m.(type) {
	case offline.Module:
		m.Limits = q
		return m
	case roster.Module:
		m.Limits = q
		return m
	case blocking.Module:
		m.Limits = q
		return m
	case vcard.Module:
		m.Limits = q
		return m
	case private.Module:
		m.Limits = q
		return m
	case mam.Module:
		if m.Limits == (archive.Limits{}) {
			m.Limits = archive.Limits{MaxItems: q.ArchiveItems, MaxBytes: q.ArchiveBytes}
		}
		if m.MaxTotalBytes == 0 {
			m.MaxTotalBytes = q.ArchiveTotalBytes
		}
		if m.AccountBytes == 0 {
			m.AccountBytes = q.AccountBytes
		}
		return m
	}
	return m
}
