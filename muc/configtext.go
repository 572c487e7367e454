package muc

import "strconv"

// Default bounds on the free-text options of a room's configuration, when
// Limits.MaxRoomNameBytes and MaxRoomDescBytes are zero. A room's name is
// written into every disco#items answer that lists it and its description
// into every disco#info of the room: unbounded (they were bounded only by
// the stanza size), 50 rooms named with 50 KB each made one 120-byte
// disco#items request of the service answer 2.5 MB, serialised for the
// asker while the router waits, a 20,000-fold amplification that any
// reading client could repeat at its read rate (mucattack
// muc-config-flood stalled a witness 2-3 s). ejabberd bounds the same two
// options (mod_muc max_room_name, max_room_desc).
const (
	DefaultMaxRoomNameBytes = 512
	DefaultMaxRoomDescBytes = 4096
)

// maxConfigText returns the effective bound for a limit field: its value,
// def when zero, none (-1) when negative.
func maxConfigText(v, def int) int {
	switch {
	case v == 0:
		return def
	case v < 0:
		return -1
	}
	return v
}

// configTextTooLong checks the room name and description of a submitted
// configuration form against the service's bounds and returns the
// refusal's text, "" when they fit. The form is refused as a whole
// (modify/not-acceptable, as for an invalid value), so that nothing of it
// is applied.
func (s *Service) configTextTooLong(f submitted) string {
	for _, c := range []struct {
		field, what string
		max         int
	}{
		{fRoomName, "Room name", maxConfigText(s.cfg.Limits.MaxRoomNameBytes, DefaultMaxRoomNameBytes)},
		{fRoomDesc, "Room description", maxConfigText(s.cfg.Limits.MaxRoomDescBytes, DefaultMaxRoomDescBytes)},
	} {
		if c.max >= 0 && f.has(c.field) && len(f.text(c.field)) > c.max {
			return c.what + " is too long (at most " + strconv.Itoa(c.max) + " bytes)"
		}
	}
	return ""
}
