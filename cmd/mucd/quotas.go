package main

import (
	"flag"
	"strconv"

	"github.com/muctest/muctest/quota"
)

// addQuotaFlags registers one flag per field of quota.Limits (issue 11's
// stored-state bounds); 0 takes the default, a negative value means no
// limit.
func addQuotaFlags(fs *flag.FlagSet) *quota.Limits {
	l := &quota.Limits{}
	d := quota.Defaults()
	intFlag := func(p *int, name string, def int, usage string) {
		fs.IntVar(p, name, 0, usage+" (0: "+strconv.Itoa(def)+"; negative: no limit)")
	}
	intFlag(&l.AccountBytes, "quota-account-bytes", d.AccountBytes, "bytes of stored state per account, over every module but the archive")
	intFlag(&l.TotalBytes, "quota-total-bytes", d.TotalBytes, "bytes of what -quota-account-bytes bounds, over every account together")
	intFlag(&l.OfflineMessages, "quota-offline-messages", d.OfflineMessages, "offline messages kept per account")
	intFlag(&l.OfflineBytes, "quota-offline-bytes", d.OfflineBytes, "bytes of offline messages per account")
	intFlag(&l.OfflineTotalBytes, "quota-offline-total-bytes", d.OfflineTotalBytes, "bytes of offline messages of every account together")
	intFlag(&l.PendingTotalBytes, "quota-pending-total-bytes", d.PendingTotalBytes, "bytes of pending subscription requests of every account together")
	intFlag(&l.RosterItems, "quota-roster-items", d.RosterItems, "roster items per account")
	intFlag(&l.RosterPending, "quota-roster-pending", d.RosterPending, "pending subscription requests per account")
	intFlag(&l.PrivateItems, "quota-private-items", d.PrivateItems, "XEP-0049 private XML elements per account")
	intFlag(&l.PrivateBytes, "quota-private-bytes", d.PrivateBytes, "bytes of private XML per account")
	intFlag(&l.PrivateItemBytes, "quota-private-item-bytes", d.PrivateItemBytes, "bytes of one private XML element")
	intFlag(&l.VCardBytes, "quota-vcard-bytes", d.VCardBytes, "bytes of one vCard")
	intFlag(&l.BlocklistItems, "quota-blocklist-items", d.BlocklistItems, "blocklist items per account")
	intFlag(&l.Resources, "quota-resources", d.Resources, "resources bound per account at once")
	intFlag(&l.DirectedPresences, "quota-directed-presences", d.DirectedPresences, "directed presence targets one session may have at once (each gets unavailable when it goes offline)")
	intFlag(&l.DirectedBytes, "quota-directed-bytes", d.DirectedBytes, "bytes of the directed presence targets of one session")
	intFlag(&l.DirectedTotalBytes, "quota-directed-total-bytes", d.DirectedTotalBytes, "bytes of the directed presence targets of every session together")
	intFlag(&l.MUCRooms, "quota-muc-rooms", d.MUCRooms, "rooms of the MUC service")
	intFlag(&l.MUCRegistered, "quota-muc-registered", d.MUCRegistered, "registered nicknames per room")
	intFlag(&l.Accounts, "quota-accounts", d.Accounts, "accounts in any-password mode")
	intFlag(&l.AccountsPerIPPerMinute, "quota-accounts-per-ip", d.AccountsPerIPPerMinute, "accounts one IP address may create per minute in any-password mode")
	intFlag(&l.ArchiveItems, "quota-archive-items", d.ArchiveItems, "messages in one account's or room's archive (oldest dropped)")
	fs.Int64Var(&l.ArchiveBytes, "quota-archive-bytes", 0, "bytes of one account's or room's archive, oldest dropped (0: "+strconv.Itoa(int(d.ArchiveBytes))+")")
	fs.Int64Var(&l.ArchiveTotalBytes, "quota-archive-total-bytes", 0, "bytes of every account's archive together (0: "+strconv.Itoa(int(d.ArchiveTotalBytes))+")")
	fs.Int64Var(&l.RoomArchiveTotalBytes, "quota-room-archive-total-bytes", 0, "bytes of every MUC room's archive together (0: "+strconv.Itoa(int(d.RoomArchiveTotalBytes))+")")
	return l
}
