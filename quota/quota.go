// Package quota holds the bounds on what one account (or room) may make the
// server store, as issue 11 asks of a server on a network (RFC 6120 section
// 13.12, "Denial of Service"): every store is bounded in count and in bytes,
// measured on the wire form of what it keeps (the length of the serialised
// element), and refused when full with the stanza error Prosody gives in the
// same case. Nothing already stored is dropped to make room.
//
// Limits is one group of fields (server.Config.Quotas, one mucd flag each);
// the modules under mod/ take the fields that concern them. Budget adds a
// per-account total over every module's state (module.Slots.Size), checked
// before any store grows, so that an account filling several stores at once
// is bounded too, and a server-wide one (Total) over every account's.
package quota

import (
	"mellium.im/xmpp/stanza"

	"github.com/muctest/muctest/module"
)

// Limits bound the stored state. A zero field takes its Default; a
// negative one means no limit.
type Limits struct {
	// AccountBytes bounds the wire bytes of every module's state of one
	// account together (module.Slots.Size), archives that drop their
	// oldest to stay within their own bounds (MAM) excepted.
	AccountBytes int
	// TotalBytes bounds what AccountBytes bounds, for every account of
	// the server together (Total): past it a store that would grow is
	// refused resource-constraint (wait), as past AccountBytes.
	TotalBytes int
	// OfflineMessages and OfflineBytes bound one account's XEP-0160
	// offline store; a message past them is bounced resource-constraint
	// (wait).
	OfflineMessages, OfflineBytes int
	// OfflineTotalBytes bounds every account's offline messages together,
	// since any-password mode lets a sender reach any number of names.
	OfflineTotalBytes int
	// RosterItems bounds one roster (RFC 6121); RosterPending the
	// subscription requests kept for it (RFC 6121 section 3.1.3).
	RosterItems, RosterPending int
	// PendingTotalBytes bounds the subscription requests kept for every
	// account together, for the same reason.
	PendingTotalBytes int
	// PrivateItems and PrivateBytes bound one account's XEP-0049 private
	// XML; PrivateItemBytes one element of it (not-acceptable).
	PrivateItems, PrivateBytes, PrivateItemBytes int
	// VCardBytes bounds one XEP-0054 vCard (not-acceptable).
	VCardBytes int
	// BlocklistItems bounds one XEP-0191 blocklist.
	BlocklistItems int
	// Resources bounds the sessions bound to one account at once; a bind
	// past it gets resource-constraint (cancel), as Prosody's
	// max_resources.
	Resources int
	// DirectedPresences and DirectedBytes bound the directed available
	// presences one session has sent (RFC 6121 section 4.6), which the
	// server must remember to send unavailable to when the session goes
	// offline: a new target past either is refused resource-constraint
	// (wait) and not delivered, so that the sender knows no unavailable
	// will follow. A real client's rooms and direct contacts stay far
	// inside them.
	DirectedPresences, DirectedBytes int
	// DirectedTotalBytes bounds DirectedBytes over every session together,
	// since one account may bind many sessions and any-password mode makes
	// accounts.
	DirectedTotalBytes int
	// MUCRooms bounds the rooms of the MUC service; MUCRegistered the
	// registered nicknames (XEP-0045 section 7.10) of one room.
	MUCRooms, MUCRegistered int
	// Accounts bounds the accounts that any-password mode creates on the
	// fly, in total; AccountsPerIPPerMinute per remote address.
	Accounts, AccountsPerIPPerMinute int
	// ArchiveItems, ArchiveBytes bound one XEP-0313 archive (an
	// account's or a room's; the oldest go first); ArchiveTotalBytes all
	// accounts' archives together.
	ArchiveItems      int
	ArchiveBytes      int64
	ArchiveTotalBytes int64
	// RoomArchiveTotalBytes bounds every MUC room's archive together
	// (each room's is bounded by ArchiveItems and ArchiveBytes): past it,
	// new messages are not archived until rooms go.
	RoomArchiveTotalBytes int64
}

// The defaults: what a server on a network can hold for a few thousand
// accounts, each far above what a real client stores.
const (
	DefaultAccountBytes           = 4 << 20
	DefaultOfflineMessages        = 500
	DefaultOfflineBytes           = 1 << 20
	DefaultOfflineTotalBytes      = 32 << 20
	DefaultPendingTotalBytes      = 16 << 20
	DefaultRosterItems            = 1000
	DefaultRosterPending          = 200
	DefaultPrivateItems           = 100
	DefaultPrivateBytes           = 1 << 20
	DefaultPrivateItemBytes       = 256 << 10
	DefaultVCardBytes             = 256 << 10
	DefaultBlocklistItems         = 1000
	DefaultResources              = 100
	DefaultDirectedPresences      = 1000
	DefaultDirectedBytes          = 128 << 10
	DefaultDirectedTotalBytes     = 16 << 20
	DefaultMUCRooms               = 10000
	DefaultMUCRegistered          = 1000
	DefaultAccounts               = 10000
	DefaultAccountsPerIPPerMinute = 30
	DefaultArchiveItems           = 1000
	DefaultArchiveBytes           = 1 << 20
	DefaultArchiveTotalBytes      = 32 << 20
	DefaultRoomArchiveTotalBytes  = 32 << 20
)

// Defaults returns every limit at its default.
func Defaults() Limits { return Limits{}.WithDefaults() }

// WithDefaults returns l with every zero field at its default.
func (l Limits) WithDefaults() Limits {
	def := func(p *int, d int) {
		if *p == 0 {
			*p = d
		}
	}
	def(&l.AccountBytes, DefaultAccountBytes)
	def(&l.TotalBytes, DefaultTotalBytes)
	def(&l.OfflineMessages, DefaultOfflineMessages)
	def(&l.OfflineBytes, DefaultOfflineBytes)
	def(&l.OfflineTotalBytes, DefaultOfflineTotalBytes)
	def(&l.PendingTotalBytes, DefaultPendingTotalBytes)
	def(&l.RosterItems, DefaultRosterItems)
	def(&l.RosterPending, DefaultRosterPending)
	def(&l.PrivateItems, DefaultPrivateItems)
	def(&l.PrivateBytes, DefaultPrivateBytes)
	def(&l.PrivateItemBytes, DefaultPrivateItemBytes)
	def(&l.VCardBytes, DefaultVCardBytes)
	def(&l.BlocklistItems, DefaultBlocklistItems)
	def(&l.Resources, DefaultResources)
	def(&l.DirectedPresences, DefaultDirectedPresences)
	def(&l.DirectedBytes, DefaultDirectedBytes)
	def(&l.DirectedTotalBytes, DefaultDirectedTotalBytes)
	def(&l.MUCRooms, DefaultMUCRooms)
	def(&l.MUCRegistered, DefaultMUCRegistered)
	def(&l.Accounts, DefaultAccounts)
	def(&l.AccountsPerIPPerMinute, DefaultAccountsPerIPPerMinute)
	def(&l.ArchiveItems, DefaultArchiveItems)
	if l.ArchiveBytes == 0 {
		l.ArchiveBytes = DefaultArchiveBytes
	}
	if l.ArchiveTotalBytes == 0 {
		l.ArchiveTotalBytes = DefaultArchiveTotalBytes
	}
	if l.RoomArchiveTotalBytes == 0 {
		l.RoomArchiveTotalBytes = DefaultRoomArchiveTotalBytes
	}
	return l
}

// Within reports whether n more of something fits a limit with have of it
// already (a negative limit is none).
func Within(limit, have, n int) bool { return limit < 0 || have+n <= limit }

// Evictor is implemented by a state value that keeps itself within bounds
// of its own by dropping its oldest entries (an XEP-0313 archive): Budget
// does not count it, or a full archive would refuse every other store.
type Evictor interface{ Evicts() bool }

// Used returns the bytes an account's modules hold that count against
// AccountBytes: every module.Sizer in its slots but Evictors.
func Used(a module.Account) int {
	n := 0
	a.State().Each(func(_ string, v any) {
		if e, ok := v.(Evictor); ok && e.Evicts() {
			return
		}
		if z, ok := v.(module.Sizer); ok {
			n += z.Size()
		}
	})
	return n
}

// Budget reports whether a's state may grow by grow bytes within limit
// (Limits.AccountBytes after WithDefaults; negative: no limit) and within
// the server's Total, when a's server keeps one (TotalKeeper), which then
// counts the change (a shrink too: call Budget with the negative change
// before a store shrinks, so that the bytes are free for others at once).
// Every Sizer's Size must be cheap (a counter), since this runs per store.
func Budget(a module.Account, limit, grow int) bool {
	tk, _ := a.(TotalKeeper)
	if tk == nil && (limit < 0 || grow <= 0) {
		return true
	}
	used := Used(a)
	if grow > 0 && limit >= 0 && used+grow > limit {
		return false
	}
	if tk != nil {
		return tk.QuotaTotal().Admit(a, used, grow)
	}
	return true
}

// The refusals, as Prosody words them: a store that is full is a
// temporary condition (the user may delete something), an item larger than
// any store accepts is not.
const (
	// FullType and Full: storage full (resource-constraint, wait).
	FullType = stanza.Wait
	Full     = stanza.ResourceConstraint
	// TooLargeType and TooLarge: one item over its own bound.
	TooLargeType = stanza.Modify
	TooLarge     = stanza.NotAcceptable
)
