package muc

import "time"

// Room locking (XEP-0045 section 10.1.1): a room created by a MUC join is
// locked until its owner submits the configuration form (an empty form
// makes an instant room); meanwhile anyone else who tries to join gets
// item-not-found and disco#items does not list it.
//
// Some clients never submit the form (poezio joins and starts talking), and
// the room would stay locked for ever, so a lock expires after
// Config.LockTimeout, as Prosody's does (muc/lock.lib.lua,
// muc_room_lock_timeout, 300 s). Like Prosody, the expiry is lazy: the room
// is unlocked the first time its lock is checked after the deadline, which
// needs no timer (nothing to stop when the room goes, nothing running
// between stanzas). Nothing is sent when it happens, as in Prosody: the
// owner was told with status 201 that the room is new and it keeps its
// default configuration, which the owner can still change later.

// DefaultLockTimeout is how long a new room stays locked when its owner
// never submits the configuration form, when Config.LockTimeout is zero:
// Prosody's default.
const DefaultLockTimeout = 300 * time.Second

// lockTimeout returns the configured lock duration; ok is false when locks
// never expire.
func (s *Service) lockTimeout() (d time.Duration, ok bool) {
	switch d := s.cfg.LockTimeout; {
	case d < 0:
		return 0, false
	case d == 0:
		return DefaultLockTimeout, true
	default:
		return d, true
	}
}

// lock locks a room that is being created, until its owner configures it
// or the lock times out.
func (r *room) lock() {
	r.locked = true
	r.lockedUntil = time.Time{}
	if d, ok := r.svc.lockTimeout(); ok {
		r.lockedUntil = r.svc.cfg.Now().Add(d)
	}
}

// unlock opens the room to everyone (the configuration form was submitted).
func (r *room) unlock() {
	r.locked = false
	r.lockedUntil = time.Time{}
	r.svc.relist(r)
}

// isLocked reports whether the room is still locked, unlocking it first if
// its lock has expired.
func (r *room) isLocked() bool {
	if !r.locked {
		return false
	}
	if !r.lockedUntil.IsZero() && !r.svc.cfg.Now().Before(r.lockedUntil) {
		r.unlock()
		return false
	}
	return true
}
